-- The audit trail (nhật ký thay đổi): every change a person makes, from the web page or the
-- command line — who, how, when, to what, which field, before and after. It replaces
-- request_changes (copied over). Append-only: the application may only insert; the triggers
-- refuse UPDATE and DELETE. No foreign key: the history of a deleted draft stays.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    -- 'imported': a change recorded before this table, when how it was made was not kept.
    via         TEXT NOT NULL CHECK (via IN ('web', 'cli', 'service', 'imported')),
    subject     TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    request_id  INTEGER,
    action      TEXT NOT NULL,
    field       TEXT,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_by_subject ON audit_log(subject, subject_key, id);
CREATE INDEX audit_log_by_request ON audit_log(request_id, id);
CREATE INDEX audit_log_by_at ON audit_log(at);

INSERT INTO audit_log (at, actor, via, subject, subject_key, request_id, action, field, before, after)
SELECT c.changed_at, c.changed_by,
       CASE WHEN c.changed_by LIKE 'baocao (chuỗi%' THEN 'service' ELSE 'imported' END,
       'request', COALESCE(r.token, CAST(c.request_id AS TEXT)), c.request_id,
       CASE WHEN c.changed_by LIKE 'baocao (chuỗi%' THEN 'note'
            WHEN c.field LIKE '%gia hạn%' THEN 'extend' ELSE 'edit' END,
       c.field, c.before, c.after
FROM request_changes c LEFT JOIN requests r ON r.id = c.request_id ORDER BY c.id;
DROP TABLE request_changes;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
