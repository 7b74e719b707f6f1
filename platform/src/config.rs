//! How every service checks its configuration: a pure `validate()` before any I/O, naming the
//! flag and what is wrong with its value; `main` exits 2 with that message, as clap does for a
//! flag it cannot parse.

/// Where a service runs: what production demands (secrets, TLS, authenticated Kafka), a laptop
/// may skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Local,
    Production,
}

/// A flag whose value cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {flag}: {problem}")]
pub struct ConfigError {
    /// The flag as a user types it, e.g. `--batch-rows`.
    pub flag: &'static str,
    /// What is wrong and what would work, e.g. `is 0; use at least 1`.
    pub problem: String,
}

impl ConfigError {
    pub fn new(flag: &'static str, problem: impl Into<String>) -> Self {
        Self {
            flag,
            problem: problem.into(),
        }
    }
}

/// Checks that need no I/O.
pub trait Validate {
    fn validate(&self) -> Result<(), ConfigError>;
}

/// Validates `config`, or prints the problem and exits with status 2 (a usage error).
pub fn validated<T: Validate>(config: T) -> T {
    if let Err(error) = config.validate() {
        eprintln!("error: {error}");
        std::process::exit(2);
    }
    config
}
