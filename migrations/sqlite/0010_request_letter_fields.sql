-- What a letter in the administrative register needs from the directive: who issued it
-- ("Ban Chỉ đạo …"), its kind when the number does not say it ("Kế hoạch", "Công văn"), and
-- what to report (nội dung yêu cầu). All optional.
ALTER TABLE requests ADD COLUMN issuer TEXT;
ALTER TABLE requests ADD COLUMN doc_kind TEXT;
ALTER TABLE requests ADD COLUMN content TEXT;
