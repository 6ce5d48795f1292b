-- Display names of unit groups ("Phòng Giáo dục và Đào tạo các huyện" for `phong-gddt`),
-- shown in exports and on the web page instead of the code; a group without a row shows its
-- code. Units keep their groups as codes in `unit_groups`, which recipients match on.
CREATE TABLE unit_group_names (
    group_code  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A unit merged into another (the reform of 1/7/2025): inactive, its addresses moved to
-- `merged_into`, its past requests' records kept under its own row.
ALTER TABLE units ADD COLUMN merged_into INTEGER REFERENCES units(id);
ALTER TABLE units ADD COLUMN merged_at TEXT;
