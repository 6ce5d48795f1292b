//! Commands that need a mail password (`reminders send`, `intake reconcile`, the mail checks
//! of `doctor`) without the clerk ever holding one: when the service runs, the command asks
//! it through the database and prints its answer; otherwise the command does the work
//! itself if it can read the passwords, and says plainly what to do if it cannot. `--direct`
//! (root or the service's user) always does the work here, reading systemd credentials from
//! the configuration's directory when not started by systemd.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CliError, CliResult, Context};
use crate::adapters::clock::Clock;
use crate::adapters::store::{JobAnswer, JobState, Store};
use crate::services::jobs::{JobKind, Work};

/// A service that wrote its health row within this long is running.
const ALIVE_WITHIN: Duration = Duration::from_secs(30);
/// How long a command waits for a running service to take its job before giving up.
const PICKUP_WAIT: Duration = Duration::from_secs(30);
/// The longest a command waits for its answer.
const RUNNING_WAIT: Duration = Duration::from_secs(60 * 60);
/// How often the command looks at its job.
const POLL: Duration = Duration::from_millis(200);

/// Who does the work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// This process, reading the passwords itself.
    Here,
    /// The running service, through a job row.
    Service,
}

/// How the command was asked to work.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    /// `--direct`: do it here whatever runs.
    pub direct: bool,
    /// `--at`: a simulated moment, which only this process can work at.
    pub simulated: bool,
}

/// Decides who does the work: the facts are whether a service runs and why this process
/// cannot read the passwords (`None`: it can). `Err` is what the clerk reads.
pub fn choose(asked: Asked, service_alive: bool, unreadable: Option<String>, command: &str) -> Result<Route, String> {
    if asked.direct || asked.simulated {
        return match unreadable {
            None => Ok(Route::Here),
            Some(why) => Err(format!(
                "{why}.\n{} đọc mật khẩu thư ngay trong lệnh này: chạy bằng quyền root (systemd credential được \
                 đọc từ thư mục của tệp cấu hình); bỏ {} để nhờ dịch vụ baocao đang chạy làm thay.",
                if asked.direct { "--direct" } else { "--at" },
                if asked.direct { "--direct" } else { "--at" },
            )),
        };
    }
    if service_alive {
        return Ok(Route::Service);
    }
    match unreadable {
        None => Ok(Route::Here),
        Some(why) => Err(format!(
            "{why}.\nLệnh này nhờ dịch vụ baocao làm, nhưng dịch vụ không chạy (không có tín hiệu trong {} giây qua).\n\
             Bật dịch vụ (systemctl start baocao) rồi chạy lại lệnh; hoặc, với quyền root: {command} --direct",
            ALIVE_WITHIN.as_secs()
        )),
    }
}

/// Why this process cannot read the passwords `kind` needs, or `None`.
pub fn unreadable(context_settings: &crate::adapters::config::Settings, kind: JobKind) -> Option<String> {
    let problems: Vec<String> = kind
        .secrets(context_settings)
        .into_iter()
        .filter_map(|(what, source)| source.problem_vi(what))
        .collect();
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// `--direct` outside systemd reads credentials where the unit's `LoadCredential=` does.
pub fn prepare_direct(config: &std::path::Path) {
    let dir = config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    crate::adapters::config::read_credentials_from(dir.to_path_buf());
}

/// Whether a service runs on this database now.
pub async fn service_alive(store: &Store, now: DateTime<Utc>) -> CliResult<bool> {
    let since = now - chrono::Duration::from_std(ALIVE_WITHIN).unwrap_or_default();
    Ok(!store.live_services(since).await?.is_empty())
}

/// The OS user asking, for the service's log and the job row.
fn requested_by() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "?".into())
}

/// Does `kind` the way [`choose`] decides and returns the answer to print.
pub async fn work(
    context: &Context,
    kind: JobKind,
    asked: Asked,
    command: &str,
    at: Option<&str>,
) -> CliResult<JobAnswer> {
    let now = context.at(at)?;
    if asked.direct || asked.simulated {
        prepare_direct(&context.config);
    }
    let alive = if asked.direct || asked.simulated {
        false
    } else {
        service_alive(&context.store, context.now()).await?
    };
    let route = choose(asked, alive, unreadable(&context.settings, kind), command).map_err(CliError::Refused)?;
    match route {
        Route::Service => ask(&context.store, kind).await,
        Route::Here => {
            let calendar = &context.calendar;
            let templates = context.templates()?;
            let worker = crate::wiring::daemon::worker_id();
            // A command runs its work to the end: nothing ever cancels these.
            let (stop, cut) = (Default::default(), Default::default());
            let work = Work {
                store: &context.store,
                settings: &context.settings,
                calendar,
                templates: &templates,
                worker: &worker,
                clock: if asked.simulated {
                    Clock::starting_at(now)
                } else {
                    Clock::system()
                },
                stop: &stop,
                cut: &cut,
            };
            Ok(crate::services::jobs::perform(kind, &work).await)
        }
    }
}

/// Hands `kind` to the running service and waits for its answer, touching the job while it
/// waits (a command that is killed stops touching it, and the service then never takes it).
/// Gives up when no service takes it within [`PICKUP_WAIT`] of the last moment a service
/// was idle, when the service doing it stops, or after [`RUNNING_WAIT`].
pub async fn ask(store: &Store, kind: JobKind) -> CliResult<JobAnswer> {
    #[allow(clippy::disallowed_methods)]
    let now = || chrono::Utc::now();
    let alive_since = |now: DateTime<Utc>| now - chrono::Duration::from_std(ALIVE_WITHIN).unwrap_or_default();
    let id = store.request_job(kind.as_str(), &requested_by(), now()).await?;
    eprintln!("(dịch vụ baocao đang chạy làm việc này thay lệnh: việc số {id})");
    let asked_at = std::time::Instant::now();
    let mut idle_since = std::time::Instant::now();
    let mut last_check = std::time::Instant::now();
    loop {
        let state = store.job_state(id).await?;
        let check_now = last_check.elapsed() >= Duration::from_secs(2);
        if check_now {
            last_check = std::time::Instant::now();
        }
        match state {
            JobState::Done(answer) => return Ok(answer),
            JobState::Abandoned => {
                return Err(CliError::Refused(format!(
                    "việc số {id} đã bị hủy trước khi dịch vụ nhận"
                )));
            }
            JobState::Waiting => {
                store.touch_job(id, now()).await?;
                // A service busy with an earlier job takes this one after it.
                if check_now && store.jobs_running(alive_since(now())).await? > 0 {
                    idle_since = std::time::Instant::now();
                }
                if idle_since.elapsed() >= PICKUP_WAIT && store.abandon_job(id, now()).await? {
                    return Err(CliError::Refused(format!(
                        "dịch vụ baocao không nhận việc trong {} giây (đã hủy việc số {id}): xem systemctl status baocao \
                         và journalctl -u baocao",
                        PICKUP_WAIT.as_secs()
                    )));
                }
            }
            JobState::Running { taken_by } => {
                if check_now && !store.live_services(alive_since(now())).await?.contains(&taken_by) {
                    return Err(CliError::Refused(format!(
                        "dịch vụ baocao đã dừng khi đang làm việc số {id}: xem journalctl -u baocao rồi chạy lại lệnh"
                    )));
                }
            }
        }
        if asked_at.elapsed() >= RUNNING_WAIT {
            return Err(CliError::Refused(format!(
                "sau {} phút dịch vụ baocao chưa xong việc số {id}; kết quả ghi trong journalctl -u baocao",
                RUNNING_WAIT.as_secs() / 60
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Prints an answer as the command's own output and turns its exit code into the outcome.
pub fn print_answer(answer: JobAnswer, json: bool) -> CliResult {
    let out = match (json, answer.json) {
        (true, Some(json)) => json + "\n",
        _ => answer.out,
    };
    print!("{out}");
    match answer.exit_code {
        0 => Ok(()),
        super::EXIT_LOGIN_REFUSED => Err(CliError::MailLoginRefused(answer.err)),
        super::EXIT_SOFTWARE => Err(CliError::Internal(anyhow::anyhow!(answer.err))),
        _ => Err(CliError::Refused(answer.err)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Asked, Route, choose};

    const ASKED: Asked = Asked {
        direct: false,
        simulated: false,
    };
    const DIRECT: Asked = Asked {
        direct: true,
        simulated: false,
    };
    const AT: Asked = Asked {
        direct: false,
        simulated: true,
    };

    fn why() -> Option<String> {
        Some("không có quyền đọc tệp mật khẩu".into())
    }

    #[test]
    fn a_running_service_does_the_work_unless_told_direct() {
        assert_eq!(choose(ASKED, true, why(), "baocao x"), Ok(Route::Service));
        assert_eq!(choose(ASKED, true, None, "baocao x"), Ok(Route::Service));
        assert_eq!(choose(DIRECT, true, None, "baocao x"), Ok(Route::Here));
        assert_eq!(choose(AT, true, None, "baocao x"), Ok(Route::Here));
    }

    #[test]
    fn without_a_service_the_command_works_only_when_it_can_read_the_passwords() {
        assert_eq!(choose(ASKED, false, None, "baocao x"), Ok(Route::Here));
        let refused = choose(ASKED, false, why(), "baocao reminders send").unwrap_err();
        assert!(refused.starts_with("không có quyền đọc tệp mật khẩu."), "{refused}");
        assert!(refused.contains("systemctl start baocao"), "{refused}");
        assert!(refused.contains("baocao reminders send --direct"), "{refused}");
    }

    #[test]
    fn direct_without_the_passwords_says_who_may_use_it() {
        let refused = choose(DIRECT, true, why(), "baocao x").unwrap_err();
        assert!(refused.contains("quyền root"), "{refused}");
        assert!(refused.contains("bỏ --direct"), "{refused}");
        let refused = choose(AT, false, why(), "baocao x").unwrap_err();
        assert!(refused.contains("bỏ --at"), "{refused}");
    }
}
