-- The slot of an outgoing message: keeping a slot's state in step with its cancelled message
-- (`cancel_slots_of_cancelled_messages`, after every cancel) looked each slot's message up by
-- reading the whole outbox.
CREATE INDEX outgoing_messages_by_slot ON outgoing_messages(slot_id);
