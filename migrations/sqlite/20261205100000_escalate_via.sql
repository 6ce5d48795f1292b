-- How a request's or a series' escalation reaches those above the unit: "cc" (copy of the
-- overdue notice) or "thu-rieng" (a letter of their own). NULL: "cc".
ALTER TABLE requests ADD COLUMN escalate_via TEXT;
ALTER TABLE series ADD COLUMN escalate_via TEXT;
