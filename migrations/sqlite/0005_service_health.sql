-- What each running daemon last said about itself, so `baocao status` (another process)
-- can show a mail server that is down, and when the service was last alive.

CREATE TABLE service_health (
    instance      TEXT PRIMARY KEY,
    pid           INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    status_line   TEXT NOT NULL,
    imap_problem  TEXT,
    smtp_problem  TEXT
);
