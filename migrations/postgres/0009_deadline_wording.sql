-- The deadline as the directive wrote it ("trước ngày 31/12/2023"), shown to units beside the
-- instant baocao uses; NULL for requests made before it was kept.
ALTER TABLE requests ADD COLUMN deadline_wording TEXT;
