//! The batches being written while the loop reads on: at most `max` at once (so memory stays
//! bounded and a stalled write stops consumption), handed back in the order they were sealed
//! whatever order their writes end in, each with the offsets it may commit. A write not awaited
//! to its end is aborted with this queue: its offsets are never committed.

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::writer::Turn;

pub struct InFlight {
    queue: VecDeque<Pending>,
    max: usize,
    /// The newest batch's changelog turn, which the next batch waits for.
    last_turn: Option<oneshot::Receiver<()>>,
}

struct Pending {
    task: Aborting,
    durable: Durable,
}

/// A sealed batch whose write ended well: what it may commit, once every batch before it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durable {
    /// Partition → next offset to commit (never past a record still waiting, `super::waiting`).
    pub commit: Vec<(i32, i64)>,
    /// Partition → one past the last offset the batch read, for the lag.
    pub read: Vec<(i32, i64)>,
    pub sealed: Instant,
}

/// A spawned write, aborted when dropped unawaited: an abandoned member leaves nothing running.
struct Aborting(JoinHandle<anyhow::Result<()>>);

impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl InFlight {
    pub fn new(max: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            max: max.max(1),
            last_turn: None,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.queue.len() >= self.max
    }

    /// Spawns the write `start` makes of its changelog turn; the batch may later commit `commit`.
    pub fn push<F>(&mut self, commit: Vec<(i32, i64)>, read: Vec<(i32, i64)>, start: F)
    where
        F: FnOnce(Turn) -> JoinHandle<anyhow::Result<()>>,
    {
        debug_assert!(!self.is_full(), "the caller makes room first");
        let (done, next) = oneshot::channel();
        let turn = Turn {
            wait: self.last_turn.replace(next),
            done,
        };
        self.queue.push_back(Pending {
            task: Aborting(start(turn)),
            durable: Durable {
                commit,
                read,
                sealed: Instant::now(),
            },
        });
    }

    /// The oldest batch, once its write ended; pending while nothing is in flight. Cancel-safe:
    /// a batch leaves the queue only with its outcome.
    pub async fn next_durable(&mut self) -> anyhow::Result<Durable> {
        let Some(front) = self.queue.front_mut() else {
            return std::future::pending().await;
        };
        let ended = (&mut front.task.0).await;
        let front = self.queue.pop_front().expect("the batch just awaited");
        match ended {
            Ok(Ok(())) => Ok(front.durable),
            Ok(Err(error)) => Err(error),
            Err(join) => Err(anyhow::anyhow!("a batch's write ended abnormally: {join}")),
        }
    }

    /// The partitions this member no longer owns: no batch in flight commits for them (their
    /// writes still land; the next owner re-reads what they held and recognises it).
    pub fn disown(&mut self, partitions: &BTreeSet<i32>) {
        for pending in &mut self.queue {
            pending
                .durable
                .commit
                .retain(|(partition, _)| !partitions.contains(partition));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// A write that ends when told, recording when it produced its "changelog".
    fn write(
        turn: Turn,
        name: &'static str,
        finish: oneshot::Receiver<()>,
        produced: Arc<Mutex<Vec<&'static str>>>,
    ) -> JoinHandle<anyhow::Result<()>> {
        tokio::spawn(async move {
            let _ = finish.await;
            if let Some(previous) = turn.wait {
                previous.await?;
            }
            produced.lock().unwrap().push(name);
            let _ = turn.done.send(());
            Ok(())
        })
    }

    #[tokio::test]
    async fn batches_come_back_in_sealed_order_and_produce_their_changelog_in_it() {
        let produced = Arc::new(Mutex::new(Vec::new()));
        let mut in_flight = InFlight::new(2);
        let (end_first, first) = oneshot::channel();
        let (end_second, second) = oneshot::channel();
        let p = produced.clone();
        in_flight.push(vec![(0, 10)], vec![(0, 10)], |turn| {
            write(turn, "first", first, p)
        });
        assert!(!in_flight.is_full());
        let p = produced.clone();
        in_flight.push(vec![(0, 20), (1, 5)], vec![(0, 20), (1, 5)], |turn| {
            write(turn, "second", second, p)
        });
        assert!(in_flight.is_full());

        // The second write's own work ends first: it still waits for the first's changelog,
        // and is not handed back before it.
        end_second.send(()).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(produced.lock().unwrap().is_empty());
        let early = tokio::time::timeout(Duration::from_millis(50), in_flight.next_durable()).await;
        assert!(early.is_err(), "nothing is durable before the first batch");
        assert_eq!(in_flight.len(), 2, "a cancelled wait takes nothing out");

        end_first.send(()).unwrap();
        let first = in_flight.next_durable().await.unwrap();
        let second = in_flight.next_durable().await.unwrap();
        assert_eq!(first.commit, [(0, 10)]);
        assert_eq!(second.commit, [(0, 20), (1, 5)]);
        assert_eq!(*produced.lock().unwrap(), ["first", "second"]);
        assert!(in_flight.is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_stops_the_changelog_of_every_later_batch() {
        let produced = Arc::new(Mutex::new(Vec::new()));
        let mut in_flight = InFlight::new(3);
        in_flight.push(vec![(0, 1)], vec![(0, 1)], |turn| {
            tokio::spawn(async move {
                drop(turn); // failed before its changelog
                anyhow::bail!("stopping with an unwritten batch")
            })
        });
        let (end, finish) = oneshot::channel();
        let p = produced.clone();
        in_flight.push(vec![(0, 2)], vec![(0, 2)], |turn| {
            write(turn, "later", finish, p)
        });
        end.send(()).unwrap();
        assert!(in_flight.next_durable().await.is_err());
        assert!(in_flight.next_durable().await.is_err());
        assert!(produced.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn revoked_partitions_are_committed_by_no_batch_in_flight() {
        let mut in_flight = InFlight::new(2);
        for next in [10, 20] {
            in_flight.push(
                vec![(0, next), (3, next)],
                vec![(0, next), (3, next)],
                |turn| {
                    tokio::spawn(async move {
                        let _ = turn.done.send(());
                        Ok(())
                    })
                },
            );
        }
        in_flight.disown(&BTreeSet::from([3]));
        let first = in_flight.next_durable().await.unwrap();
        let second = in_flight.next_durable().await.unwrap();
        assert_eq!(
            (first.commit, second.commit),
            (vec![(0, 10)], vec![(0, 20)])
        );
        assert_eq!(
            second.read,
            [(0, 20), (3, 20)],
            "the lag still knows what was read"
        );
    }

    #[tokio::test]
    async fn writes_left_in_flight_are_aborted_with_the_queue() {
        let (started, running) = oneshot::channel::<()>();
        let mut in_flight = InFlight::new(1);
        let (_keep, never) = oneshot::channel::<()>();
        in_flight.push(vec![(0, 1)], vec![(0, 1)], |_turn| {
            tokio::spawn(async move {
                let _running = started;
                let _ = never.await;
                Ok(())
            })
        });
        drop(in_flight);
        // The task's end drops its sender: the abort reached it.
        assert!(running.await.is_err());
    }
}
