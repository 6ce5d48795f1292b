-- Which mail server refused the service's login ("imap", "smtp" or both): a wrong password
-- is its own state, shown by `baocao status` (which exits non-zero) and the web page.
ALTER TABLE service_health ADD COLUMN login_refused TEXT;
