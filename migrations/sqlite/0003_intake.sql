-- Intake: the sentence that explains each incoming message's outcome, the address a bounce
-- marked, the sender's display name and suggested unit, a lookup by UID, review items
-- that granted a later deadline, and threading headers for the receipts baocao sends.

ALTER TABLE incoming_messages ADD COLUMN detail TEXT;
ALTER TABLE incoming_messages ADD COLUMN from_name TEXT;
ALTER TABLE incoming_messages ADD COLUMN failing_address TEXT;
ALTER TABLE incoming_messages ADD COLUMN suggested_unit_id INTEGER REFERENCES units(id);
CREATE INDEX incoming_messages_by_uid ON incoming_messages(mailbox, uidvalidity, uid);

-- SQLite cannot change a CHECK constraint in place: rebuild review_items (nothing
-- references it) with 'extended' added.
CREATE TABLE review_items_new (
    id                  INTEGER PRIMARY KEY,
    incoming_id         INTEGER NOT NULL REFERENCES incoming_messages(id),
    reason              TEXT NOT NULL,
    unit_id             INTEGER REFERENCES units(id),
    request_id          INTEGER REFERENCES requests(id),
    suggested_unit_id   INTEGER REFERENCES units(id),
    candidates          TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('open', 'assigned', 'rejected', 'extended')),
    resolution_note     TEXT,
    resolved_at         TEXT,
    created_at          TEXT NOT NULL
);
INSERT INTO review_items_new SELECT * FROM review_items;
DROP TABLE review_items;
ALTER TABLE review_items_new RENAME TO review_items;
CREATE INDEX review_items_open ON review_items(state);
CREATE UNIQUE INDEX review_items_by_incoming ON review_items(incoming_id);

ALTER TABLE outgoing_messages ADD COLUMN in_reply_to TEXT;
ALTER TABLE outgoing_messages ADD COLUMN references_ids TEXT;
CREATE INDEX outgoing_messages_by_recipient ON outgoing_messages(kind, to_address, created_at);
