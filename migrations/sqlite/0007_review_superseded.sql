-- A review item whose unit has since been counted for its request is resolved on its own:
-- kept, with state 'superseded' ("đã có báo cáo sau"). SQLite cannot change a CHECK in
-- place: rebuild review_items (nothing references it).
CREATE TABLE review_items_new (
    id                  INTEGER PRIMARY KEY,
    incoming_id         INTEGER NOT NULL REFERENCES incoming_messages(id),
    reason              TEXT NOT NULL,
    unit_id             INTEGER REFERENCES units(id),
    request_id          INTEGER REFERENCES requests(id),
    suggested_unit_id   INTEGER REFERENCES units(id),
    candidates          TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('open', 'assigned', 'rejected', 'extended', 'superseded')),
    resolution_note     TEXT,
    resolved_at         TEXT,
    created_at          TEXT NOT NULL
);
INSERT INTO review_items_new SELECT * FROM review_items;
DROP TABLE review_items;
ALTER TABLE review_items_new RENAME TO review_items;
CREATE INDEX review_items_open ON review_items(state);
CREATE UNIQUE INDEX review_items_by_incoming ON review_items(incoming_id);
