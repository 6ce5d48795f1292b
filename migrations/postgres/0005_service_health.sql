-- What each running daemon last said about itself, so `baocao status` (another process)
-- can show a mail server that is down, and when the service was last alive.

CREATE TABLE service_health (
    instance      TEXT PRIMARY KEY,
    pid           BIGINT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    status_line   TEXT NOT NULL,
    imap_problem  TEXT,
    smtp_problem  TEXT
);
