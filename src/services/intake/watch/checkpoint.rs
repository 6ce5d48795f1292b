//! Where intake starts and what it has seen: the checkpoint on a first start or a new
//! UIDVALIDITY (from `start-from`: now, a date, or everything), and `reconcile`, which compares
//! the mailbox since the start date with the store.

use super::*;

impl Watcher {
    /// Makes sure the checkpoint belongs to this UIDVALIDITY: on a first connection it
    /// starts at the configured date; after a UIDVALIDITY change it restarts at the old
    /// start date (what was already recorded is recognised and not counted again).
    pub(super) async fn prepare_checkpoint(
        &self,
        session: &mut ImapSession,
        mailbox: &Mailbox,
    ) -> anyhow::Result<Checkpoint> {
        let uidvalidity = i64::from(mailbox.uid_validity.context("the server gives no UIDVALIDITY")?);
        let name = &self.imap.mailbox;
        let now = wall_clock();
        let existing = self.store.checkpoint(name).await?;
        let (start_from, last_uid) = match existing {
            Some(cp) if cp.uidvalidity == uidvalidity => return Ok(cp),
            Some(cp) => {
                tracing::warn!(
                    mailbox = %name,
                    old = cp.uidvalidity,
                    new = uidvalidity,
                    "UIDVALIDITY changed: rescanning since the start date, recorded messages are recognised"
                );
                (cp.start_from, self.uid_before(session, mailbox, cp.start_from).await?)
            }
            None => match self.imap.start_from {
                StartFrom::Now => (now.trunc_subsecs(0), last_uid_of(session, mailbox).await?),
                StartFrom::Date(date) => {
                    let local = date.and_time(NaiveTime::MIN);
                    let start = local
                        .and_local_timezone(self.zone)
                        .earliest()
                        .map_or(now, |t| t.with_timezone(&Utc));
                    (start, self.uid_before(session, mailbox, start).await?)
                }
            },
        };
        let checkpoint = Checkpoint {
            uidvalidity,
            first_uid: last_uid + 1,
            last_uid,
            start_from,
        };
        self.store.set_checkpoint(name, checkpoint, now).await?;
        tracing::info!(mailbox = %name, uidvalidity, last_uid, %start_from, "intake starts");
        Ok(checkpoint)
    }

    /// The UID just below the first message received at or after `start`.
    pub(super) async fn uid_before(
        &self,
        session: &mut ImapSession,
        mailbox: &Mailbox,
        start: DateTime<Utc>,
    ) -> anyhow::Result<i64> {
        let metas = self.messages_since(session, start).await?;
        match metas.first() {
            Some(first) => Ok(i64::from(first.uid) - 1),
            None => last_uid_of(session, mailbox).await,
        }
    }

    /// Messages whose INTERNALDATE is at or after `start`, by UID.
    pub(super) async fn messages_since(
        &self,
        session: &mut ImapSession,
        start: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Meta>> {
        // SINCE compares dates in the server's zone: ask from the day before, then filter.
        let day = (start.with_timezone(&self.zone).date_naive() - chrono::Days::new(1)).format("%d-%b-%Y");
        let uids = within(session.uid_search(format!("SINCE {day}")), "UID SEARCH").await?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sorted: Vec<u32> = uids.into_iter().collect();
        sorted.sort_unstable();
        let mut metas = Vec::new();
        for chunk in sorted.chunks(500) {
            let set = uid_set(chunk);
            metas.extend(fetch_meta(session, &set, wall_clock()).await?);
        }
        // INTERNALDATE has whole seconds.
        let start = start.trunc_subsecs(0);
        metas.retain(|m| m.received_at >= start);
        metas.sort_by_key(|m| m.uid);
        Ok(metas)
    }

    /// Compares the mailbox since the start date with what the store recorded.
    pub async fn reconcile(&self) -> anyhow::Result<Reconciliation> {
        let mut session = self.open().await?;
        let result = self.reconcile_in(&mut session).await;
        logout(session).await;
        result
    }

    pub(super) async fn reconcile_in(&self, session: &mut ImapSession) -> anyhow::Result<Reconciliation> {
        let name = &self.imap.mailbox;
        let checkpoint = self.store.checkpoint(name).await?.context("intake has not started")?;
        let recorded = self.store.recorded_uids(name, checkpoint.uidvalidity).await?;
        // Every message from the first UID intake owns, and any it recorded.
        let owned = fetch_meta(session, &format!("{}:*", checkpoint.first_uid.max(1)), wall_clock()).await?;
        let mut by_uid: BTreeMap<u32, ()> = owned
            .iter()
            .filter(|m| i64::from(m.uid) >= checkpoint.first_uid)
            .map(|m| (m.uid, ()))
            .collect();
        for uid in recorded.keys() {
            if let Ok(uid) = u32::try_from(*uid) {
                by_uid.insert(uid, ());
            }
        }
        let mut report = Reconciliation {
            mailbox: name.clone(),
            start_from: Some(checkpoint.start_from),
            ..Reconciliation::default()
        };
        for uid in by_uid.keys() {
            report.in_mailbox += 1;
            match recorded.get(&i64::from(*uid)).map(String::as_str) {
                Some("counted") => report.counted += 1,
                Some("review") => report.review += 1,
                Some(_) => report.ignored += 1,
                None if i64::from(*uid) > checkpoint.last_uid => report.pending.push(*uid),
                None => report.missing.push(*uid),
            }
        }
        Ok(report)
    }
}
