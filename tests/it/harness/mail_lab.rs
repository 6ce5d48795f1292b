//! The mail lab: Dovecot (IMAP with IDLE, IMAPS, LMTP) and Postfix (SMTP, submission with
//! STARTTLS and AUTH) running as real servers on free loopback ports under one temporary
//! directory, with a small CA whose leaf certificate both servers present.
//!
//! Started once per test process ([`MailLab::shared`]); each test uses its own addresses,
//! so its mailboxes are its own. Every address at every domain is delivered into Dovecot
//! (nothing leaves the machine), and every user logs in with [`MailLab::PASSWORD`].
//! Recipients named `reject-…@` get a 550 at RCPT and `defer-…@` a 450; a test can also
//! defer one address for a while ([`MailLab::defer`], [`MailLab::undefer`]).
//!
//! A watcher process stops both servers and removes the directory when the test process
//! exits, however it exits. Needs root (Postfix's master runs as root; see
//! `shared/MAIL-LAB-NOTES.md`) and the packages that `scripts/setup-test-env.sh` installs.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct MailLab {
    pub dir: PathBuf,
    pub imap_port: u16,
    pub imaps_port: u16,
    pub lmtp_port: u16,
    pub smtp_port: u16,
    pub submission_port: u16,
    /// The CA certificate (PEM) clients must trust.
    pub ca_file: PathBuf,
}

/// The owner of every mailbox file (no /etc/passwd entry needed).
pub const MAIL_UID: u32 = 5000;

impl MailLab {
    pub const PASSWORD: &'static str = "lab-password";
    /// A user whose password has Vietnamese letters.
    pub const UTF8_USER: &'static str = "matkhau-utf8@lab.test";
    pub const UTF8_PASSWORD: &'static str = "mật-khẩu-Đ";

    /// The lab of this test process, started on first use.
    pub fn shared() -> &'static MailLab {
        static LAB: OnceLock<MailLab> = OnceLock::new();
        LAB.get_or_init(|| MailLab::start().unwrap_or_else(|e| panic!("mail lab did not start: {e}")))
    }

    /// A lab of the test's own, for tests that stop and start its servers (the shared lab
    /// serves tests running in parallel). Stopped when the test process ends.
    pub fn private() -> MailLab {
        MailLab::start().unwrap_or_else(|e| panic!("private mail lab did not start: {e}"))
    }

    fn start() -> Result<MailLab, String> {
        let dir = tempfile::Builder::new()
            .prefix("baocao-lab-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        chmod(&dir, "0755")?;
        let ports = free_ports(5)?;
        let lab = MailLab {
            ca_file: dir.join("ca.pem"),
            dir,
            imap_port: ports[0],
            imaps_port: ports[1],
            lmtp_port: ports[2],
            smtp_port: ports[3],
            submission_port: ports[4],
        };
        lab.make_certificates()?;
        lab.write_dovecot_config()?;
        lab.write_postfix_config()?;
        lab.spawn_reaper()?;
        lab.start_dovecot()?;
        lab.start_postfix()?;
        Ok(lab)
    }

    fn make_certificates(&self) -> Result<(), String> {
        let d = &self.dir;
        // `openssl req` for a new RSA key without a passphrase: a certificate that signs
        // itself (`-x509`) or a request for one.
        let new_key = |first: &[&str], subject: &str, key: &str, out: &str| {
            let mut args = vec!["req"];
            args.extend_from_slice(first);
            let (key, out) = (s(d.join(key)), s(d.join(out)));
            args.extend([
                "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", &key, "-out", &out,
            ]);
            run("openssl", &args)
        };
        new_key(&["-x509", "-days", "2"], "/CN=baocao lab CA", "ca.key", "ca.pem")?;
        std::fs::write(
            d.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .map_err(|e| e.to_string())?;
        new_key(&[], "/CN=localhost", "leaf.key", "leaf.csr")?;
        run(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &s(d.join("leaf.csr")),
                "-CA",
                &s(d.join("ca.pem")),
                "-CAkey",
                &s(d.join("ca.key")),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &s(d.join("leaf.ext")),
                "-out",
                &s(d.join("leaf.pem")),
            ],
        )?;
        // Postfix reads the key as the postfix user after dropping privileges for some checks.
        chmod(&d.join("leaf.key"), "0644")
    }

    fn write_dovecot_config(&self) -> Result<(), String> {
        let d = s(&self.dir);
        let mail = self.dir.join("mail");
        std::fs::create_dir_all(&mail).map_err(|e| e.to_string())?;
        run("chown", &[&format!("{MAIL_UID}:{MAIL_UID}"), &s(&mail)])?;
        let config = format!(
            r#"base_dir = {d}/dovecot-run
state_dir = {d}/dovecot-state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
hostname = lab.test
ssl = yes
ssl_cert = <{d}/leaf.pem
ssl_key = <{d}/leaf.key
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_max_userip_connections = 500
first_valid_uid = 1000
passdb {{
  driver = static
  args = password={password}
}}
passdb {{
  driver = passwd-file
  args = username_format=%u {d}/dovecot-users
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={d}/mail/%Ld/%Ln
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"#,
            password = Self::PASSWORD,
            imap = self.imap_port,
            imaps = self.imaps_port,
            lmtp = self.lmtp_port,
        );
        // One user whose password is not ASCII (only AUTHENTICATE PLAIN can carry it).
        let users = self.dir.join("dovecot-users");
        std::fs::write(
            &users,
            format!("{}:{{PLAIN}}{}::::::\n", Self::UTF8_USER, Self::UTF8_PASSWORD),
        )
        .map_err(|e| e.to_string())?;
        run("chown", &["root:dovecot", &s(&users)])?;
        chmod(&users, "0640")?;
        std::fs::write(self.dir.join("dovecot.conf"), config).map_err(|e| e.to_string())
    }

    fn write_postfix_config(&self) -> Result<(), String> {
        let d = s(&self.dir);
        let conf = self.dir.join("postfix-conf");
        for sub in ["postfix-conf", "postfix-queue", "postfix-data"] {
            std::fs::create_dir_all(self.dir.join(sub)).map_err(|e| e.to_string())?;
        }
        run("chown", &["postfix", &s(self.dir.join("postfix-data"))])?;
        chmod(&self.dir.join("postfix-data"), "0700")?;
        let main = format!(
            r#"compatibility_level = 3.6
queue_directory = {d}/postfix-queue
data_directory = {d}/postfix-data
mail_owner = postfix
setgid_group = postdrop
myhostname = lab.test
mydomain = lab.test
myorigin = lab.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
virtual_alias_domains =
virtual_mailbox_domains = regexp:{d}/postfix-conf/any
virtual_mailbox_maps = regexp:{d}/postfix-conf/any
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
default_transport = error:nothing leaves the mail lab
relay_transport = error:nothing leaves the mail lab
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
in_flow_delay = 0
biff = no
smtpd_tls_cert_file = {d}/leaf.pem
smtpd_tls_key_file = {d}/leaf.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = {d}/dovecot-run/auth-postfix
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access regexp:{d}/postfix-conf/recipient_access, check_recipient_access regexp:{d}/postfix-conf/deferred_now
# One connection per smtpd process: a changed deferred_now applies to the next connection.
max_use = 1
smtp_tls_security_level = none
lmtp_tls_security_level = none
"#,
            lmtp = self.lmtp_port
        );
        let master = format!(
            "127.0.0.1:{smtp} inet n - n - - smtpd\n\
             127.0.0.1:{submission} inet n - n - - smtpd\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_tls_auth_only=yes\n  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n\
             pickup unix n - n 60 1 pickup\n\
             cleanup unix n - n - 0 cleanup\n\
             qmgr unix n - n 300 1 qmgr\n\
             tlsmgr unix - - n 1000? 1 tlsmgr\n\
             rewrite unix - - n - - trivial-rewrite\n\
             bounce unix - - n - 0 bounce\n\
             defer unix - - n - 0 bounce\n\
             trace unix - - n - 0 bounce\n\
             verify unix - - n - 1 verify\n\
             flush unix n - n 1000? 0 flush\n\
             proxymap unix - - n - - proxymap\n\
             proxywrite unix - - n - 1 proxymap\n\
             smtp unix - - n - - smtp\n\
             relay unix - - n - - smtp\n\
             showq unix n - n - - showq\n\
             error unix - - n - - error\n\
             retry unix - - n - - error\n\
             discard unix - - n - - discard\n\
             lmtp unix - - n - - lmtp\n\
             anvil unix - - n - 1 anvil\n\
             scache unix - - n - 1 scache\n\
             postlog unix-dgram n - n - 1 postlogd\n",
            smtp = self.smtp_port,
            submission = self.submission_port
        );
        std::fs::write(conf.join("main.cf"), main).map_err(|e| e.to_string())?;
        std::fs::write(conf.join("master.cf"), master).map_err(|e| e.to_string())?;
        std::fs::write(conf.join("any"), "/./ OK\n").map_err(|e| e.to_string())?;
        std::fs::write(conf.join("deferred_now"), "").map_err(|e| e.to_string())?;
        std::fs::write(
            conf.join("recipient_access"),
            "/^reject-[^@]*@/ REJECT 5.1.1 mailbox unavailable (mail lab rule)\n/^defer-[^@]*@/ DEFER 4.2.0 try again later (mail lab rule)\n",
        )
        .map_err(|e| e.to_string())
    }

    /// A detached shell that waits for this process to end, then stops both servers and
    /// removes the lab directory.
    fn spawn_reaper(&self) -> Result<(), String> {
        let d = s(&self.dir);
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             postfix -c {d}/postfix-conf stop >/dev/null 2>&1; \
             [ -f {d}/dovecot-run/master.pid ] && kill $(cat {d}/dovecot-run/master.pid) 2>/dev/null; \
             sleep 2; rm -rf {d}",
            pid = std::process::id()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("starting the reaper: {e}"))
    }

    fn start_dovecot(&self) -> Result<(), String> {
        let status = Command::new("dovecot")
            .args(["-c", &s(self.dir.join("dovecot.conf"))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("running dovecot: {e}"))?;
        if !status.success() {
            return Err(format!(
                "dovecot exited with {status}; see {}",
                self.dir.join("dovecot.log").display()
            ));
        }
        for port in [self.imap_port, self.imaps_port, self.lmtp_port] {
            wait_for_port(port)?;
        }
        wait_for(
            || self.dir.join("dovecot-run/auth-postfix").exists(),
            "Dovecot's auth socket for Postfix",
        )
    }

    fn start_postfix(&self) -> Result<(), String> {
        let output = Command::new("postfix")
            .args(["-c", &s(self.dir.join("postfix-conf")), "start"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("running postfix: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "postfix start failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        wait_for_port(self.smtp_port)?;
        wait_for_port(self.submission_port)
    }

    /// Stops Dovecot and every process it started (the TLS proxies of open IMAP sessions
    /// outlive the master otherwise), and waits until it is gone.
    pub fn stop_dovecot(&self) {
        let pid_file = self.dir.join("dovecot-run/master.pid");
        let pid = std::fs::read_to_string(&pid_file)
            .expect("dovecot pid")
            .trim()
            .to_string();
        let children: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| {
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let after_name = stat.rsplit_once(')')?.1;
                let ppid = after_name.split_whitespace().nth(1)?;
                (ppid == pid).then(|| e.file_name().to_string_lossy().into_owned())
            })
            .collect();
        run("kill", &[&pid]).expect("signal dovecot");
        for child in &children {
            let _ = run("kill", &["-KILL", child]);
        }
        wait_for(
            || {
                let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                state.is_empty() || state.split_whitespace().nth(2) == Some("Z")
            },
            "Dovecot to stop",
        )
        .expect("dovecot stops");
        wait_for(
            || TcpStream::connect(("127.0.0.1", self.imaps_port)).is_err(),
            "the IMAPS port to close",
        )
        .expect("port closes");
    }

    /// Stops Postfix (`postfix stop`) and waits until its ports are closed.
    pub fn stop_postfix(&self) {
        run("postfix", &["-c", &s(self.dir.join("postfix-conf")), "stop"]).expect("postfix stop");
        wait_for(
            || {
                TcpStream::connect(("127.0.0.1", self.submission_port)).is_err()
                    && TcpStream::connect(("127.0.0.1", self.smtp_port)).is_err()
            },
            "Postfix's ports to close",
        )
        .expect("postfix stops");
    }

    pub fn start_postfix_again(&self) {
        self.start_postfix().expect("postfix starts again");
    }

    pub fn start_dovecot_again(&self) {
        self.start_dovecot().expect("dovecot starts again");
    }

    /// Asks Postfix to retry its deferred mail now instead of in five minutes.
    pub fn flush_queue(&self) {
        run("postqueue", &["-c", &s(self.dir.join("postfix-conf")), "-f"]).expect("postqueue -f");
    }

    /// Sends raw message bytes over plain SMTP to the lab's port 25 equivalent, as another
    /// mail server would; returns once Postfix has queued it.
    pub fn submit(&self, from: &str, to: &str, message: &str) {
        use std::io::{BufRead, BufReader, Write};
        let stream = TcpStream::connect(("127.0.0.1", self.smtp_port)).expect("connect to Postfix");
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let expect = |code: &str, reader: &mut BufReader<TcpStream>| loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("SMTP reply");
            assert!(line.starts_with(code), "expected {code}, Postfix said {line:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        };
        expect("220", &mut reader);
        for (command, code) in [
            ("EHLO donvi.lab.test".to_string(), "250"),
            (format!("MAIL FROM:<{from}>"), "250"),
            (format!("RCPT TO:<{to}>"), "250"),
            ("DATA".to_string(), "354"),
        ] {
            write!(writer, "{command}\r\n").unwrap();
            expect(code, &mut reader);
        }
        for line in message.replace("\r\n", "\n").lines() {
            let line = if line.starts_with('.') {
                format!(".{line}")
            } else {
                line.to_string()
            };
            write!(writer, "{line}\r\n").unwrap();
        }
        write!(writer, ".\r\n").unwrap();
        expect("250", &mut reader);
        write!(writer, "QUIT\r\n").unwrap();
    }

    /// File names of the INBOX messages: Maildir flags after `:2,` (`S` = \Seen).
    pub fn inbox_files(&self, address: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .inbox_paths(address)
            .iter()
            .map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Recreates an address's INBOX with the same messages, as a server migration does:
    /// Dovecot gives it a new UIDVALIDITY.
    pub fn recreate_inbox(&self, address: &str) {
        let maildir = self.maildir(address);
        let old = maildir.with_extension("old");
        std::fs::rename(&maildir, &old).expect("move the Maildir away");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(old.join(sub)).unwrap().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let base = name.split(':').next().unwrap_or(&name).to_string();
                // `cp -p` keeps the file time, which is the message's INTERNALDATE.
                run("cp", &["-p", &s(entry.path()), &s(maildir.join("new").join(base))]).unwrap();
            }
        }
        run("chown", &["-R", &format!("{MAIL_UID}:{MAIL_UID}"), &s(&maildir)]).unwrap();
        std::fs::remove_dir_all(&old).unwrap();
    }

    /// Writes `env`'s configuration for an office whose report mailbox is `mailbox` on this
    /// lab: `[office]`, `[smtp]` on `smtp_port` (STARTTLS, login; the submission port or a
    /// relay in front of it), `[imap]` on IMAPS, then `extra`. The password goes to a 0600 file.
    pub fn write_config(&self, env: &super::Env, mailbox: &str, smtp_port: u16, extra: &str) {
        let password = env.write("lab-password", format!("{}\n", Self::PASSWORD));
        std::fs::set_permissions(&password, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let config = format!(
            r#"
[office]
name = "Sở Giáo dục và Đào tạo tỉnh Điện Biên"
report-mailbox = "{mailbox}"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "starttls"
user = "{mailbox}"
password-file = "{password}"
ca-file = "{ca}"
timeout-seconds = 30

[imap]
host = "127.0.0.1"
port = {imaps}
tls = "implicit"
user = "{mailbox}"
password-file = "{password}"
ca-file = "{ca}"

{extra}
"#,
            imaps = self.imaps_port,
            password = password.display(),
            ca = self.ca_file.display(),
        );
        std::fs::write(&env.config, config).unwrap();
    }

    /// A fresh address of this lab: `prefix-N@lab.test`, unique in this test process.
    pub fn address(&self, prefix: &str) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(1);
        format!(
            "{prefix}-{}-{}@lab.test",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        )
    }

    /// From now on, Postfix answers 450 to mail for `address` (until [`MailLab::undefer`]).
    pub fn defer(&self, address: &str) {
        self.edit_deferred(|lines| lines.push(deferred_line(address)));
    }

    pub fn undefer(&self, address: &str) {
        let line = deferred_line(address);
        self.edit_deferred(|lines| lines.retain(|l| *l != line));
    }

    fn edit_deferred(&self, change: impl FnOnce(&mut Vec<String>)) {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let path = self.dir.join("postfix-conf/deferred_now");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        change(&mut lines);
        let mut text = lines.join("\n");
        text.push('\n');
        let temp = path.with_extension("new");
        std::fs::write(&temp, text).expect("write deferred_now");
        std::fs::rename(&temp, &path).expect("replace deferred_now");
    }

    /// Puts a message straight into the address's INBOX (Maildir `new/`, owned by the mail
    /// user), as a delivery would leave it, bypassing Postfix's header limits: how a hostile
    /// message larger than an MTA would pass is tested.
    pub fn place(&self, address: &str, bytes: &[u8]) {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let maildir = self.maildir(address);
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("create the Maildir");
        }
        let name = format!(
            "{}.P{}Q{}.lab",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let temporary = maildir.join("tmp").join(&name);
        std::fs::write(&temporary, bytes).expect("write the message");
        chown_to_dovecot(&maildir);
        std::fs::rename(&temporary, maildir.join("new").join(&name)).expect("deliver into new/");
    }

    /// Delivers many messages at once straight into the address's Maildir (`new/`), in order.
    pub fn place_many(&self, address: &str, messages: &[String]) {
        let maildir = self.maildir(address);
        let staging = maildir.join("tmp").join(format!("many-{}", std::process::id()));
        std::fs::create_dir_all(&staging).expect("create the staging directory");
        let first = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let names: Vec<String> = (0..messages.len())
            .map(|i| format!("{first}.M{i:06}P{}.many", std::process::id()))
            .collect();
        for (name, message) in names.iter().zip(messages) {
            std::fs::write(staging.join(name), message).expect("write the message");
        }
        chown_to_dovecot(&maildir);
        for name in &names {
            std::fs::rename(staging.join(name), maildir.join("new").join(name)).expect("deliver into new/");
        }
        std::fs::remove_dir(&staging).ok();
    }

    /// When each message in the address's INBOX arrived (its file's time, which is its
    /// IMAP INTERNALDATE).
    pub fn inbox_times(&self, address: &str) -> Vec<std::time::SystemTime> {
        self.inbox_paths(address)
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .and_then(|m| m.modified())
                    .expect("a message's time")
            })
            .collect()
    }

    /// Every message in the address's INBOX, oldest first (by file name).
    pub fn messages(&self, address: &str) -> Vec<Vec<u8>> {
        let files = self.inbox_paths(address);
        files.iter().map(|f| std::fs::read(f).expect("read message")).collect()
    }

    /// The INBOX's message files (new and cur), sorted by name.
    fn inbox_paths(&self, address: &str) -> Vec<PathBuf> {
        let maildir = self.maildir(address);
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(maildir.join(sub)).ok())
            .flat_map(|d| d.flatten().map(|e| e.path()))
            .collect();
        files.sort();
        files
    }

    /// The Maildir of an address, for checks made without IMAP.
    pub fn maildir(&self, address: &str) -> PathBuf {
        let (local, domain) = address.rsplit_once('@').expect("an address");
        self.dir
            .join("mail")
            .join(domain.to_lowercase())
            .join(local.to_lowercase())
            .join("Maildir")
    }

    /// How many messages the address's INBOX holds (new and cur).
    pub fn inbox_count(&self, address: &str) -> usize {
        let maildir = self.maildir(address);
        ["new", "cur"]
            .iter()
            .map(|sub| std::fs::read_dir(maildir.join(sub)).map(|d| d.count()).unwrap_or(0))
            .sum()
    }

    /// Waits until the address's INBOX holds at least `count` messages.
    pub fn wait_for_inbox(&self, address: &str, count: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.inbox_count(address) >= count {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

fn deferred_line(address: &str) -> String {
    let escaped: String = address
        .chars()
        .map(|c| {
            if ".+*?()[]{}|^$\\".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect();
    format!("/^{escaped}$/ DEFER 4.2.0 try again later (deferred by the test)")
}

fn s(path: impl AsRef<Path>) -> String {
    path.as_ref().display().to_string()
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn chmod(path: &Path, mode: &str) -> Result<(), String> {
    run("chmod", &[mode, &s(path)])
}

fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    // Hold every listener until all are chosen so the same port is not handed out twice.
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string()))
        .collect()
}

fn wait_for_port(port: u16) -> Result<(), String> {
    wait_for(
        || TcpStream::connect(("127.0.0.1", port)).is_ok(),
        &format!("port {port}"),
    )
}

fn wait_for(ready: impl Fn() -> bool, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{what} not ready after 20 s"))
}

/// Gives a Maildir (and what was written into it) to the user Dovecot reads it as.
fn chown_to_dovecot(maildir: &Path) {
    let owner = format!("{MAIL_UID}:{MAIL_UID}");
    let status = Command::new("chown")
        .args(["-R", &owner])
        .arg(maildir)
        .status()
        .expect("chown the Maildir");
    assert!(status.success());
}
