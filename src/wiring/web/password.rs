//! Password checks for the login form, bounded: argon2 needs about 19 MiB per check, so at
//! most [`PasswordChecks::SLOTS`] run at once, each in one of as many reused work areas
//! (allocated at the first login, then kept), and an attempt that cannot get a slot within
//! [`PasswordChecks::WAIT`] is answered "busy". A flood of logins therefore costs the
//! daemon a fixed ~40 MiB, never one work area per attempt.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

/// No slot came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

pub struct PasswordChecks {
    slots: Arc<Semaphore>,
    work_areas: Arc<Mutex<Vec<Vec<Block>>>>,
    wait: Duration,
}

impl Default for PasswordChecks {
    fn default() -> Self {
        PasswordChecks {
            slots: Arc::new(Semaphore::new(Self::SLOTS)),
            work_areas: Arc::default(),
            wait: Self::WAIT,
        }
    }
}

impl PasswordChecks {
    /// Checks running at once (each ~19 MiB and one CPU core for ~50 ms).
    pub const SLOTS: usize = 2;
    /// How long an attempt waits for a slot before it is answered "busy".
    pub const WAIT: Duration = Duration::from_secs(10);

    /// Whether `password` matches `hash` (`None`: an unknown user, which costs the same work).
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, Busy> {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Busy),
        };
        let work_areas = self.work_areas.clone();
        // The permit moves into the blocking task: a client that gives up does not free the
        // slot before the check it started has finished.
        let checked = tokio::task::spawn_blocking(move || {
            let _slot = permit;
            let mut area = lock(&work_areas).pop().unwrap_or_default();
            let accepted = verify_in(hash.as_deref(), &password, &mut area);
            lock(&work_areas).push(area);
            accepted
        })
        .await;
        Ok(checked.unwrap_or(false))
    }
}

fn lock(areas: &Mutex<Vec<Vec<Block>>>) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
    areas.lock().unwrap_or_else(|e| e.into_inner())
}

/// Checks a password against a stored argon2 hash in `area` (grown to what the hash's
/// parameters need); an unknown user costs the same work.
pub fn verify_in(hash: Option<&str>, password: &str, area: &mut Vec<Block>) -> bool {
    // What `hash_password` wrote for a password nobody has: the same parameters, so the same
    // work, as a real user's hash.
    const NOBODY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$3HrmnUxNBIVokGutzi4xsQ$j5KlSH3d3F+9VKwHuz6TF1JaTZ1JwM8s3X6P7nUzzuI";
    let matches = recompute(hash.unwrap_or(NOBODY), password, area).unwrap_or(false);
    matches && hash.is_some()
}

/// What `argon2`'s `verify_password` does, in a work area the caller keeps.
fn recompute(text: &str, password: &str, area: &mut Vec<Block>) -> Option<bool> {
    let parsed = PasswordHash::new(text).ok()?;
    let (salt, expected) = (parsed.salt?, parsed.hash?);
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(number) => Version::try_from(number).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    if area.len() < params.block_count() {
        area.resize(params.block_count(), Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).ok()?;
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, area.as_mut_slice())
        .ok()?;
    Some(super::auth::constant_time_eq(&computed, expected.as_bytes()))
}

/// The argon2id hash `baocao user add` writes.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("mật-khẩu văn thư").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let mut area = Vec::new();
        assert!(verify_in(Some(&hash), "mật-khẩu văn thư", &mut area));
        assert_eq!(area.len(), Params::default().block_count(), "one work area, kept");
        assert!(!verify_in(Some(&hash), "mat-khau van thu", &mut area));
        assert!(!verify_in(None, "mật-khẩu văn thư", &mut area));
        assert!(
            !verify_in(None, "không có người dùng này", &mut area),
            "never for nobody"
        );
        assert!(!verify_in(Some("not a hash"), "", &mut area));
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let params = Params::new(4096, 3, 1, None).unwrap();
        let argon2 = Argon2::new(Algorithm::Argon2i, Version::V0x10, params);
        let salt = SaltString::generate(&mut OsRng);
        let hash = argon2.hash_password(b"cu", &salt).unwrap().to_string();
        let mut area = Vec::new();
        assert!(verify_in(Some(&hash), "cu", &mut area));
        assert!(!verify_in(Some(&hash), "moi", &mut area));
    }

    #[tokio::test]
    async fn simultaneous_checks_share_at_most_two_work_areas() {
        let checks = Arc::new(PasswordChecks::default());
        let hash = hash_password("đúng").unwrap();
        let attempts: Vec<_> = (0..6)
            .map(|i| {
                let checks = checks.clone();
                let hash = hash.clone();
                tokio::spawn(async move { checks.verify(Some(hash), format!("sai-{i}")).await })
            })
            .collect();
        for attempt in attempts {
            assert_eq!(attempt.await.unwrap(), Ok(false));
        }
        assert_eq!(checks.verify(Some(hash), "đúng".into()).await, Ok(true));
        assert!(lock(&checks.work_areas).len() <= PasswordChecks::SLOTS);
    }

    #[tokio::test]
    async fn an_attempt_that_finds_no_free_slot_in_time_is_told_busy() {
        let checks = PasswordChecks {
            wait: Duration::from_millis(50),
            ..PasswordChecks::default()
        };
        let held = checks
            .slots
            .clone()
            .acquire_many_owned(PasswordChecks::SLOTS as u32)
            .await
            .unwrap();
        assert_eq!(checks.verify(None, "x".into()).await, Err(Busy));
        drop(held);
        assert_eq!(checks.verify(None, "x".into()).await, Ok(false));
    }
}
