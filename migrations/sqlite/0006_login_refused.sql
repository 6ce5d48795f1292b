-- Which mail server refused the service's login ("imap", "smtp" or both): a wrong password
-- is its own state, shown by `baocao status` (which exits non-zero) and the web page. And the
-- status line in Vietnamese, for the clerk (`status_line` stays English, for the journal).
ALTER TABLE service_health ADD COLUMN login_refused TEXT;
ALTER TABLE service_health ADD COLUMN status_vi TEXT;
