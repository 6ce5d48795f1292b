//! Work a clerk's command hands to the running service (`service_jobs`): the command asks
//! and waits, the service takes the oldest waiting job, does it and writes the answer back.
//! A row moves `waiting` → `running` → `done`, or `waiting` → `abandoned` when the command
//! stopped waiting before any service took it, so no job is ever done late.

use chrono::{DateTime, Utc};

use super::{Store, StoreResult, on_pool, on_writer, parse_column, sql};

/// What a finished job answers, as the asking command prints it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobAnswer {
    pub exit_code: u8,
    /// What the command prints on standard output.
    pub out: String,
    /// What it prints on standard error.
    pub err: String,
    /// The same answer for `--json`, when the job has one.
    pub json: Option<String>,
}

/// Where a job stands, as the asking command sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Waiting,
    /// A service instance (`taken_by`) is doing it.
    Running {
        taken_by: String,
    },
    Done(JobAnswer),
    Abandoned,
}

/// The words of `service_jobs.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Waiting,
    Running,
    Done,
    Abandoned,
}

impl Step {
    const ALL: [Step; 4] = [Step::Waiting, Step::Running, Step::Done, Step::Abandoned];

    fn as_str(self) -> &'static str {
        match self {
            Step::Waiting => "waiting",
            Step::Running => "running",
            Step::Done => "done",
            Step::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == text)
    }
}

/// Finished and abandoned jobs are kept this long, to read who asked for what.
const KEEP_DAYS: i64 = 30;
/// A waiting job whose command has not touched it for this long is not taken: the command
/// is gone (killed, timed out), and nobody would read the answer.
pub const UNTOUCHED_SECONDS: i64 = 20;

impl Store {
    /// Asks the service to do `kind`; returns the job's id.
    pub async fn request_job(&self, kind: &str, requested_by: &str, now: DateTime<Utc>) -> StoreResult<i64> {
        let (id,): (i64,) = on_writer!(self, |pool| {
            sqlx::query_as(
                "INSERT INTO service_jobs (kind, state, requested_by, requested_at, touched_at) \
                 VALUES ($1, 'waiting', $2, $3, $3) RETURNING id",
            )
            .bind(kind)
            .bind(requested_by)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Takes the oldest waiting job for `worker`: (id, kind, requested_by). Two services
    /// asking at once never take the same job: the one that loses the race for a row (on
    /// PostgreSQL its update finds the row taken) looks for the next.
    pub async fn take_job(&self, worker: &str, now: DateTime<Utc>) -> StoreResult<Option<(i64, String, String)>> {
        // Polled every second: a read, and a write only when some job is open.
        let (open,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as("SELECT COUNT(*) FROM service_jobs WHERE state IN ('waiting', 'running')")
                .fetch_one(pool)
                .await?
        });
        if open == 0 {
            return Ok(None);
        }
        let stale = now - chrono::Duration::seconds(UNTOUCHED_SECONDS);
        on_writer!(self, |pool| {
            sqlx::query(
                "UPDATE service_jobs SET state = 'abandoned', finished_at = $1 \
                 WHERE state = 'waiting' AND touched_at < $2",
            )
            .bind(now)
            .bind(stale)
            .execute(pool)
            .await?;
            // A job whose service stopped writing its health row will never be finished.
            sqlx::query(
                "UPDATE service_jobs SET state = 'abandoned', finished_at = $1 WHERE state = 'running' \
                 AND taken_by NOT IN (SELECT instance FROM service_health WHERE updated_at >= $2)",
            )
            .bind(now)
            .bind(now - chrono::Duration::seconds(60))
            .execute(pool)
            .await?;
        });
        loop {
            let mut tx = self.begin().await?;
            let db = &mut tx.db();
            let taken: Option<Option<(i64, String, String)>> = {
                let next: Option<(i64,)> =
                    sql("SELECT id FROM service_jobs WHERE state = 'waiting' AND touched_at >= $1 ORDER BY id LIMIT 1")
                        .bind(stale)
                        .fetch_optional(db)
                        .await?;
                match next {
                    None => None,
                    Some((id,)) => Some(
                        sql(
                            "UPDATE service_jobs SET state = 'running', taken_by = $2, taken_at = $3 \
                             WHERE id = $1 AND state = 'waiting' RETURNING id, kind, requested_by",
                        )
                        .bind(id)
                        .bind(worker)
                        .bind(now)
                        .fetch_optional(db)
                        .await?,
                    ),
                }
            };
            tx.commit().await?;
            match taken {
                None => return Ok(None),
                Some(Some(job)) => return Ok(Some(job)),
                Some(None) => continue,
            }
        }
    }

    /// Writes a job's answer, and forgets jobs finished more than a month ago.
    pub async fn finish_job(&self, id: i64, answer: &JobAnswer, now: DateTime<Utc>) -> StoreResult<()> {
        let old = now - chrono::Duration::days(KEEP_DAYS);
        let mut tx = self.begin().await?;
        let db = &mut tx.db();
        {
            sql(
                "UPDATE service_jobs SET state = 'done', finished_at = $2, exit_code = $3, out_text = $4, \
                 err_text = $5, json = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .bind(i32::from(answer.exit_code))
            .bind(&answer.out)
            .bind(&answer.err)
            .bind(&answer.json)
            .execute(db)
            .await?;
            sql("DELETE FROM service_jobs WHERE state IN ('done', 'abandoned') AND requested_at < $1")
                .bind(old)
                .execute(db)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Where job `id` stands.
    pub async fn job_state(&self, id: i64) -> StoreResult<JobState> {
        type Row = (
            String,
            Option<String>,
            Option<i32>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT state, taken_by, exit_code, out_text, err_text, json FROM service_jobs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        let Some((state, taken_by, exit_code, out, err, json)) = row else {
            return Err(super::StoreError::NotFound(format!("không có việc số {id}")));
        };
        Ok(match parse_column("service_jobs.state", &state, Step::parse)? {
            Step::Waiting => JobState::Waiting,
            Step::Running => JobState::Running {
                taken_by: taken_by.unwrap_or_default(),
            },
            Step::Done => JobState::Done(JobAnswer {
                exit_code: exit_code.and_then(|c| u8::try_from(c).ok()).unwrap_or(70),
                out: out.unwrap_or_default(),
                err: err.unwrap_or_default(),
                json,
            }),
            Step::Abandoned => JobState::Abandoned,
        })
    }

    /// The waiting command is still there: keeps job `id` takeable.
    pub async fn touch_job(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        on_writer!(self, |pool| {
            sqlx::query("UPDATE service_jobs SET touched_at = $2 WHERE id = $1 AND state = 'waiting'")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// How many jobs services alive `since` are doing now (a busy service takes the next one
    /// later).
    pub async fn jobs_running(&self, since: DateTime<Utc>) -> StoreResult<i64> {
        let (count,): (i64,) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM service_jobs j JOIN service_health h ON h.instance = j.taken_by \
                 WHERE j.state = 'running' AND h.updated_at >= $1",
            )
            .bind(since)
            .fetch_one(pool)
            .await?
        });
        Ok(count)
    }

    /// Marks job `id` abandoned if no service has taken it yet; false when one has.
    pub async fn abandon_job(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let changed = on_writer!(self, |pool| {
            sqlx::query(
                "UPDATE service_jobs SET state = 'abandoned', finished_at = $2 WHERE id = $1 AND state = 'waiting'",
            )
            .bind(id)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// The service instances that wrote their health row at or after `since` (alive).
    pub async fn live_services(&self, since: DateTime<Utc>) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT instance FROM service_health WHERE updated_at >= $1 AND instance NOT LIKE 'probe:%' \
                 ORDER BY updated_at DESC",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(instance,)| instance).collect())
    }
}
