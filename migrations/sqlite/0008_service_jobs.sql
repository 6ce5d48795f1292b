-- Work a clerk's command asks the running service to do, because only the service can read
-- the mail passwords (sending what is due, reconciling the mailbox, checking the logins).
-- The command writes a 'waiting' row and waits, touching it (touched_at) while it waits; the
-- service takes it within a second, only while it is touched, does it and writes the answer
-- back: the exit code, what the command prints, and the same as JSON. A command that gave
-- up marks its row 'abandoned', and one that was killed stops touching it: either way it is
-- never done late.
CREATE TABLE service_jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'done', 'abandoned')),
    requested_by  TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    touched_at    TEXT NOT NULL,
    taken_by      TEXT,
    taken_at      TEXT,
    finished_at   TEXT,
    exit_code     INTEGER,
    out_text      TEXT,
    err_text      TEXT,
    json          TEXT
);
CREATE INDEX service_jobs_waiting ON service_jobs(state, id);
