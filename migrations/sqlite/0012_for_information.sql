-- A request "để biết" (for information, like seed 003) asks no report: it sends the notice
-- only, plans no reminders and expects no reply. SQLite cannot drop the NOT NULL of
-- `deadline` without rebuilding the table, so such a request stores its creation instant
-- there; the store reads it as "no deadline" and nothing else reads the column.
ALTER TABLE requests ADD COLUMN expects_report BOOLEAN NOT NULL DEFAULT TRUE;

-- Files sent with a request's notice (the directive, a form to fill in), kept in the store
-- so a notice sent later, or again, carries the same bytes. A removed file keeps its row
-- (`removed_at`) for the messages that carried it.
CREATE TABLE request_attachments (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data          BLOB NOT NULL,
    added_at      TEXT NOT NULL,
    removed_at    TEXT
);
CREATE INDEX request_attachments_by_request ON request_attachments(request_id);

-- Which files a queued message carries, fixed when it is queued.
CREATE TABLE outgoing_attachments (
    outgoing_id    INTEGER NOT NULL REFERENCES outgoing_messages(id) ON DELETE CASCADE,
    attachment_id  INTEGER NOT NULL REFERENCES request_attachments(id),
    PRIMARY KEY (outgoing_id, attachment_id)
);

-- What changed in a request after it was made (deadline extended, title or content edited,
-- groups or files changed): who, when, what, before and after.
CREATE TABLE request_changes (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    field       TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX request_changes_by_request ON request_changes(request_id, id);
