//! The outcome of a scheduled job's run.

use serde::{Deserialize, Serialize};

use super::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Success,
    Failed,
}

impl Vocabulary for JobStatus {
    const ALL: &'static [Self] = &[JobStatus::Success, JobStatus::Failed];

    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Success => "success",
            JobStatus::Failed => "failed",
        }
    }
}
