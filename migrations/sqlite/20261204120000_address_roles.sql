-- What an address of a unit is for: "nhan-thu" (receives the unit's letters; every address
-- before this), "thu-truong" (the head: copied on escalation, not sent ordinary letters),
-- "van-thu" (the unit's clerk). Every address still identifies the unit as a sender.
ALTER TABLE unit_addresses ADD COLUMN role TEXT NOT NULL DEFAULT 'nhan-thu';
