-- Escalation (chuyển cấp trên) of a request or a series: working days overdue after which the
-- next overdue notice is copied to the unit's parent ("3,7"; "" never) and to whom
-- ("cap-tren"). NULL: the configuration's [reminders] escalate-after / escalate-to.
ALTER TABLE requests ADD COLUMN escalate_after TEXT;
ALTER TABLE requests ADD COLUMN escalate_to TEXT;
ALTER TABLE series ADD COLUMN escalate_after TEXT;
ALTER TABLE series ADD COLUMN escalate_to TEXT;
-- Who an outgoing message is copied to (a JSON array of {"name", "address"}), NULL for none.
ALTER TABLE outgoing_messages ADD COLUMN cc_addresses TEXT;
