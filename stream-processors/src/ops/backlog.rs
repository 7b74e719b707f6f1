//! The group's own backlog, sampled off the loop: librdkafka's offset and watermark calls block
//! for up to seconds when the broker is slow, and a consumer without an assignment has no fetch
//! statistics to read a high watermark from — the case the watchdog exists for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::group_lag::{GroupPosition, LagProbe};

/// The latest sample of the group's position, or None while unmeasured.
#[derive(Clone, Default)]
pub struct Backlog(Arc<Mutex<Option<GroupPosition>>>);

impl Backlog {
    pub fn unknown() -> Self {
        Self::default()
    }

    pub fn get(&self) -> Option<GroupPosition> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, value: Option<GroupPosition>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }
}

/// Samples `group`'s lag on `topic` every `period` until `stop`.
pub fn sample(
    brokers: &str,
    group: &str,
    topic: &str,
    period: Duration,
    mut stop: watch::Receiver<bool>,
) -> Backlog {
    let backlog = Backlog::unknown();
    let out = backlog.clone();
    let (group, topic) = (group.to_owned(), topic.to_owned());
    let mut probe = Some(LagProbe::new(brokers, vec![(group.clone(), topic.clone())]));
    tokio::spawn(async move {
        while let Some(mut owned) = probe.take() {
            let (g, t) = (group.clone(), topic.clone());
            let Ok((returned, measured)) = tokio::task::spawn_blocking(move || {
                let lag = owned.position(&g, &t);
                (owned, lag)
            })
            .await
            else {
                return;
            };
            match measured {
                Ok(lag) => out.set(Some(lag)),
                Err(error) => {
                    tracing::debug!(%error, %group, "group backlog not measured");
                    out.set(None);
                }
            }
            probe = Some(returned);
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(period) => {}
            }
        }
    });
    backlog
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_until_measured() {
        let backlog = Backlog::unknown();
        assert_eq!(backlog.get(), None);
        let at = GroupPosition {
            lag: 12,
            committed: 30,
        };
        backlog.set(Some(at));
        assert_eq!(backlog.get(), Some(at));
        backlog.set(None);
        assert_eq!(backlog.get(), None);
    }
}
