-- Reminders and the outbox: which units of a request have had their slots planned, one
-- outgoing message per slot (or per digest day), the recipient's display name and an
-- optional HTML body.

ALTER TABLE request_units ADD COLUMN slots_planned_at TEXT;

ALTER TABLE outgoing_messages ADD COLUMN dedupe_key TEXT;
ALTER TABLE outgoing_messages ADD COLUMN to_name TEXT;
ALTER TABLE outgoing_messages ADD COLUMN body_html TEXT;
-- Temporary failures are retried until give-up-after has passed since this instant.
ALTER TABLE outgoing_messages ADD COLUMN retry_since TEXT;
CREATE UNIQUE INDEX outgoing_messages_dedupe ON outgoing_messages(dedupe_key);

CREATE INDEX reminder_slots_by_unit ON reminder_slots(request_id, unit_id, state);
