-- The first UID intake owns in a mailbox (everything from it on is accounted for), so
-- reconcile need not guess from dates that IMAP gives to the second.

ALTER TABLE mailbox_checkpoints ADD COLUMN first_uid BIGINT NOT NULL DEFAULT 1;
