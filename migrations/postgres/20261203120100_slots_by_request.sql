-- The slots of one request in the order they go (the plan of one request, its due slots):
-- without it SQLite walked every waiting slot of every request through the index on state
-- and due time (1.3 s for a request of 500 units among 600,000 slots).
CREATE INDEX reminder_slots_by_request ON reminder_slots(request_id, state, due_at);
-- A (request, unit)'s slots are found by the unique key (request_id, unit_id, kind,
-- offset_minutes); this older index on (request_id, unit_id, state) only cost every write.
DROP INDEX reminder_slots_by_unit;
