-- The registry, reminders, intake and review, as PRODUCT.md names them.
-- Times are RFC 3339 text in UTC, always written by the program (no clock defaults).

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    active      BOOLEAN NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE unit_groups (
    unit_id     INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    group_code  TEXT NOT NULL,
    PRIMARY KEY (unit_id, group_code)
);
CREATE INDEX unit_groups_by_group ON unit_groups(group_code);

-- position 0 is where mail is sent; every address identifies the unit as a sender.
CREATE TABLE unit_addresses (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    address         TEXT NOT NULL,
    position        INTEGER NOT NULL,
    failing_since   TEXT,
    failing_reason  TEXT,
    UNIQUE (unit_id, address)
);
CREATE INDEX unit_addresses_by_address ON unit_addresses(address);

CREATE TABLE requests (
    id                   INTEGER PRIMARY KEY,
    code                 TEXT NOT NULL,
    code_key             TEXT NOT NULL,
    year                 INTEGER NOT NULL,
    token                TEXT UNIQUE,
    title                TEXT NOT NULL,
    issued_on            TEXT,
    deadline             TEXT NOT NULL,
    remind_before        TEXT NOT NULL,
    overdue_after        TEXT NOT NULL,
    attachment_required  BOOLEAN NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('draft', 'active', 'closed')),
    created_at           TEXT NOT NULL,
    activated_at         TEXT,
    closed_at            TEXT,
    updated_at           TEXT NOT NULL,
    UNIQUE (code_key, year)
);

-- Who must report, as written: groups and single units.
CREATE TABLE request_recipients (
    request_id  INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('group', 'unit')),
    value       TEXT NOT NULL,
    PRIMARY KEY (request_id, kind, value)
);

-- The units a request is chased from, resolved from the recipients.
CREATE TABLE request_units (
    request_id         INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    unit_id            INTEGER NOT NULL REFERENCES units(id),
    extended_deadline  TEXT,
    added_at           TEXT NOT NULL,
    PRIMARY KEY (request_id, unit_id)
);

CREATE TABLE reminder_slots (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL REFERENCES requests(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL CHECK (kind IN ('notice', 'reminder', 'overdue')),
    offset_minutes  INTEGER NOT NULL,
    planned_at      TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    due_reason      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('planned', 'queued', 'sent', 'skipped', 'cancelled')),
    state_reason    TEXT,
    updated_at      TEXT NOT NULL,
    UNIQUE (request_id, unit_id, kind, offset_minutes)
);
CREATE INDEX reminder_slots_due ON reminder_slots(state, due_at);

CREATE TABLE outgoing_messages (
    id                INTEGER PRIMARY KEY,
    slot_id           INTEGER REFERENCES reminder_slots(id),
    kind              TEXT NOT NULL,
    request_id        INTEGER REFERENCES requests(id),
    unit_id           INTEGER REFERENCES units(id),
    to_address        TEXT NOT NULL,
    message_id        TEXT NOT NULL UNIQUE,
    subject           TEXT NOT NULL,
    body              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'retry', 'failed', 'cancelled')),
    attempts          INTEGER NOT NULL,
    next_attempt_at   TEXT NOT NULL,
    claimed_by        TEXT,
    claim_expires_at  TEXT,
    smtp_response     TEXT,
    last_error        TEXT,
    created_at        TEXT NOT NULL,
    sent_at           TEXT,
    updated_at        TEXT NOT NULL
);
CREATE INDEX outgoing_messages_due ON outgoing_messages(state, next_attempt_at);
CREATE INDEX outgoing_messages_by_unit ON outgoing_messages(request_id, unit_id);

CREATE TABLE incoming_messages (
    id             INTEGER PRIMARY KEY,
    mailbox        TEXT NOT NULL,
    uidvalidity    INTEGER,
    uid            INTEGER,
    message_id     TEXT,
    content_hash   TEXT NOT NULL,
    from_address   TEXT,
    subject        TEXT,
    received_at    TEXT NOT NULL,
    size           INTEGER NOT NULL,
    attachments    TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('counted', 'review', 'ignored')),
    reason         TEXT NOT NULL,
    rule           TEXT,
    unit_id        INTEGER REFERENCES units(id),
    request_id     INTEGER REFERENCES requests(id),
    raw_path       TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX incoming_messages_by_message_id ON incoming_messages(message_id);
CREATE INDEX incoming_messages_by_hash ON incoming_messages(content_hash);

CREATE TABLE submissions (
    id                INTEGER PRIMARY KEY,
    request_id        INTEGER NOT NULL REFERENCES requests(id),
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    incoming_id       INTEGER REFERENCES incoming_messages(id),
    via               TEXT NOT NULL CHECK (via IN ('email', 'manual')),
    received_at       TEXT NOT NULL,
    late              BOOLEAN NOT NULL,
    attachments       TEXT NOT NULL,
    note              TEXT,
    is_resubmission   BOOLEAN NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE INDEX submissions_by_request ON submissions(request_id, unit_id);

CREATE TABLE review_items (
    id                  INTEGER PRIMARY KEY,
    incoming_id         INTEGER NOT NULL REFERENCES incoming_messages(id),
    reason              TEXT NOT NULL,
    unit_id             INTEGER REFERENCES units(id),
    request_id          INTEGER REFERENCES requests(id),
    suggested_unit_id   INTEGER REFERENCES units(id),
    candidates          TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('open', 'assigned', 'rejected')),
    resolution_note     TEXT,
    resolved_at         TEXT,
    created_at          TEXT NOT NULL
);
CREATE INDEX review_items_open ON review_items(state);

CREATE TABLE mailbox_checkpoints (
    mailbox       TEXT PRIMARY KEY,
    uidvalidity   INTEGER NOT NULL,
    last_uid      INTEGER NOT NULL,
    start_from    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
