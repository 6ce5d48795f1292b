-- Intake: the sentence that explains each incoming message's outcome, the address a bounce
-- marked, the sender's display name and suggested unit, a lookup by UID, review items
-- that granted a later deadline, and threading headers for the receipts baocao sends.

ALTER TABLE incoming_messages ADD COLUMN detail TEXT;
ALTER TABLE incoming_messages ADD COLUMN from_name TEXT;
ALTER TABLE incoming_messages ADD COLUMN failing_address TEXT;
ALTER TABLE incoming_messages ADD COLUMN suggested_unit_id BIGINT REFERENCES units(id);
CREATE INDEX incoming_messages_by_uid ON incoming_messages(mailbox, uidvalidity, uid);

ALTER TABLE review_items DROP CONSTRAINT review_items_state_check;
ALTER TABLE review_items ADD CONSTRAINT review_items_state_check
    CHECK (state IN ('open', 'assigned', 'rejected', 'extended'));
CREATE UNIQUE INDEX review_items_by_incoming ON review_items(incoming_id);

ALTER TABLE outgoing_messages ADD COLUMN in_reply_to TEXT;
ALTER TABLE outgoing_messages ADD COLUMN references_ids TEXT;
CREATE INDEX outgoing_messages_by_recipient ON outgoing_messages(kind, to_address, created_at);
