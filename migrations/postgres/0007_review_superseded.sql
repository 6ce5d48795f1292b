-- A review item whose unit has since been counted for its request is resolved on its own:
-- kept, with state 'superseded' ("đã có báo cáo sau").
ALTER TABLE review_items DROP CONSTRAINT review_items_state_check;
ALTER TABLE review_items ADD CONSTRAINT review_items_state_check
    CHECK (state IN ('open', 'assigned', 'rejected', 'extended', 'superseded'));
