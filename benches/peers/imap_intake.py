#!/usr/bin/env python3
"""The Python peer of `cargo bench --bench intake-drain`.

What an office's IT officer would write with Python's standard library to do intake's job on
the same mailbox: imaplib over TLS (certificate checked), the new messages fetched in groups
of 50 UIDs (`UID FETCH … BODY.PEEK[]`, nothing marked read), each parsed with `email`
(policy.default), the unit found by the sender's address and the request by the `[TOKEN]` in
the subject, its attachments listed, a copy kept under its SHA-256, and one row per message
in SQLite. It keeps the same promise as baocao, in the same shape: a group's copies are
synced (one `os.sync()`), then its rows and the checkpoint are committed together.

usage: imap_intake.py HOST PORT USER PASSWORD CA_FILE ADDRESSES_FILE WORKDIR
ADDRESSES_FILE: one unit address per line. Prints "<messages> <seconds>" on stdout.
"""

import email
import email.policy
import hashlib
import imaplib
import json
import os
import re
import sqlite3
import ssl
import sys
import time

GROUP = 50
TOKEN = re.compile(r"\[([A-Z]{2,}-\d+)\]")


def main():
    host, port, user, password, ca_file, addresses_file, workdir = sys.argv[1:8]
    with open(addresses_file, encoding="utf-8") as f:
        units = {line.strip().lower(): n for n, line in enumerate(f) if line.strip()}
    os.makedirs(os.path.join(workdir, "messages"), exist_ok=True)
    db = sqlite3.connect(os.path.join(workdir, "intake.sqlite3"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS incoming (uid INTEGER PRIMARY KEY, message_id TEXT, sha256 TEXT, "
        "sender TEXT, subject TEXT, unit INTEGER, token TEXT, state TEXT, attachments TEXT)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), last_uid INTEGER)")
    db.execute("INSERT OR IGNORE INTO checkpoint VALUES (1, 0)")
    db.commit()

    started = time.monotonic()
    context = ssl.create_default_context(cafile=ca_file)
    imap = imaplib.IMAP4_SSL(host, int(port), ssl_context=context)
    imap.login(user, password)
    imap.select("INBOX", readonly=True)
    (last_uid,) = db.execute("SELECT last_uid FROM checkpoint").fetchone()
    typ, data = imap.uid("SEARCH", None, f"UID {last_uid + 1}:*")
    uids = [int(u) for u in data[0].split() if int(u) > last_uid]
    done = 0
    for start in range(0, len(uids), GROUP):
        group = uids[start : start + GROUP]
        typ, data = imap.uid("FETCH", ",".join(map(str, group)), "(UID BODY.PEEK[])")
        rows = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            rows.append(record(uid, item[1], units, workdir))
        os.sync()
        db.executemany("INSERT OR IGNORE INTO incoming VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.execute("UPDATE checkpoint SET last_uid = ?", (max(group),))
        db.commit()
        done += len(rows)
    imap.logout()
    print(done, f"{time.monotonic() - started:.3f}")


def record(uid, raw, units, workdir):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    digest = hashlib.sha256(raw).hexdigest()
    path = os.path.join(workdir, "messages", digest + ".eml")
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(raw)
        os.rename(path + ".tmp", path)
    sender = message.get("From")
    address = sender.addresses[0].addr_spec.lower() if sender and sender.addresses else ""
    subject = str(message.get("Subject", ""))
    token = TOKEN.search(subject)
    attachments = [
        {"name": part.get_filename(), "size": len(part.get_content())}
        for part in message.iter_attachments()
        if part.get_filename()
    ]
    unit = units.get(address)
    if message.get("Auto-Submitted", "no").lower() != "no":
        state = "ignored"
    elif unit is not None and token and attachments:
        state = "counted"
    else:
        state = "review"
    return (
        uid,
        message.get("Message-ID"),
        digest,
        address,
        subject,
        unit,
        token.group(1) if token else None,
        state,
        json.dumps(attachments, ensure_ascii=False),
    )


if __name__ == "__main__":
    main()
