-- Periodic reports (báo cáo định kỳ): a series is a directive that asks a report every
-- period; the daemon creates each period's instance, an ordinary request with its own token,
-- `lead_days` before its deadline. `(series_id, period_key)` is unique, so a period is
-- created once whatever runs twice (two instances, a restart, a clock jump).
CREATE TABLE series (
    id                   INTEGER PRIMARY KEY,
    code                 TEXT NOT NULL UNIQUE,
    doc_code             TEXT NOT NULL,
    title                TEXT NOT NULL,
    issued_on            TEXT,
    issuer               TEXT,
    doc_kind             TEXT,
    content              TEXT,
    period_kind          TEXT NOT NULL,
    cut_off              TEXT NOT NULL,
    deadline_rule        TEXT NOT NULL,
    on_day_off           TEXT NOT NULL,
    school_dates         TEXT,
    lead_days            INTEGER NOT NULL,
    first_period         TEXT NOT NULL,
    remind_before        TEXT NOT NULL,
    overdue_after        TEXT NOT NULL,
    attachment_required  BOOLEAN NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('active', 'paused', 'closed')),
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

CREATE TABLE series_recipients (
    series_id  INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('group', 'unit')),
    value      TEXT NOT NULL,
    PRIMARY KEY (series_id, kind, value)
);

-- The directive and forms sent with each instance's notice (copied to the instance's
-- request_attachments when it is made, so a later change does not alter a sent notice).
CREATE TABLE series_attachments (
    id            INTEGER PRIMARY KEY,
    series_id     INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    added_at      TEXT NOT NULL
);
CREATE INDEX series_attachments_by_series ON series_attachments(series_id);

ALTER TABLE requests ADD COLUMN series_id INTEGER REFERENCES series(id);
ALTER TABLE requests ADD COLUMN period_key TEXT;
ALTER TABLE requests ADD COLUMN period_label TEXT;
CREATE UNIQUE INDEX requests_by_series_period ON requests(series_id, period_key);
