//! Reads each partition of the beacons topic from its start offset to its end (the fetch-side
//! end-of-partition signal), runs every record through the same processor as the live loop with
//! sessions built afresh, and inserts the rows. Replacing tables keep one row per event: the
//! re-derived row, written later, wins. Each batch's deduplication token names this run, so a
//! retried batch is stored once but the replay itself is not mistaken for the original inserts.
//! No dead letters and no changelog records are produced: those belong to the live loop.
//! A robot's hit whose address key was destroyed cannot be verified again; it keeps the
//! verification ClickHouse holds for it (`recorded`), and the report counts both.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use platform::control_follower::ControlHandle;
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;

use crate::load::batch::Batch;
use crate::load::changelog_reader::read_to_end_consumer;
use crate::load::process::{Position, Processor};
use crate::load::sink::ClickHouseSink;
use crate::sessionize::{SessionConfig, Sessionizer};

use super::recorded::keep_recorded_verifications;

/// Where each partition's replay starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// Everything the topic still retains.
    Beginning,
    /// partition → offset; partitions not named are not replayed.
    Offsets(BTreeMap<i32, i64>),
}

impl std::str::FromStr for StartAt {
    type Err = String;

    /// `all`, or `partition=offset[,partition=offset…]`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "all" {
            return Ok(Self::Beginning);
        }
        let mut offsets = BTreeMap::new();
        for part in text.split(',') {
            let (p, o) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected partition=offset"))?;
            let p: i32 = p
                .trim()
                .parse()
                .map_err(|_| format!("{p:?} is not a partition"))?;
            let o: i64 = o
                .trim()
                .parse()
                .map_err(|_| format!("{o:?} is not an offset"))?;
            if p < 0 || o < 0 {
                return Err(format!(
                    "{part:?}: partition and offset must not be negative"
                ));
            }
            offsets.insert(p, o);
        }
        Ok(Self::Offsets(offsets))
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayReport {
    pub records: u64,
    pub events: u64,
    pub rejected: u64,
    /// Robots' hits replayed without a check: their address key was destroyed, or only reverse
    /// DNS can decide them (a replay looks nothing up).
    pub addresses_expired: u64,
    /// Of those, how many kept the verification recorded the first time (the rest stay
    /// `unchecked`: nothing was recorded for them).
    pub verifications_kept: u64,
}

pub struct Replay<'a> {
    pub brokers: &'a str,
    pub topic: &'a str,
    pub start: StartAt,
    pub control: ControlHandle,
    pub processor: Processor,
    pub sink: ClickHouseSink,
    pub batch_rows: usize,
    pub sessions: SessionConfig,
    pub progress: bool,
}

pub async fn reprocess(replay: Replay<'_>) -> anyhow::Result<ReplayReport> {
    let consumer = read_to_end_consumer(replay.brokers)?;
    let partitions =
        platform::kafka::partition_ids(&consumer, replay.topic, Duration::from_secs(10))?;
    let mut assignment = TopicPartitionList::new();
    let mut total = 0u64;
    for &partition in &partitions {
        let start = match &replay.start {
            StartAt::Beginning => Some(Offset::Beginning),
            StartAt::Offsets(offsets) => offsets.get(&partition).map(|o| Offset::Offset(*o)),
        };
        let Some(start) = start else { continue };
        assignment.add_partition_offset(replay.topic, partition, start)?;
        // For the progress bar only; the end is found by reading to it.
        if let Ok((low, high)) =
            consumer.fetch_watermarks(replay.topic, partition, Duration::from_secs(10))
        {
            let from = match start {
                Offset::Offset(o) => o.max(low),
                _ => low,
            };
            total += u64::try_from(high - from).unwrap_or(0);
        }
    }
    let mut open = assignment.count();
    if open == 0 {
        return Ok(ReplayReport::default());
    }
    consumer.assign(&assignment)?;
    let bar = if replay.progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} records ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let (_never, stop) = watch::channel(false);
    let mut sessionizers: HashMap<i32, Sessionizer> = HashMap::new();
    let mut report = ReplayReport::default();
    let mut batch = Batch::default();
    while open > 0 {
        match consumer.recv().await {
            Err(KafkaError::PartitionEOF(_)) => open -= 1,
            Err(error) => return Err(error.into()),
            Ok(message) => {
                let sessionizer = sessionizers
                    .entry(message.partition())
                    .or_insert_with(|| Sessionizer::new(replay.sessions));
                replay.processor.process(
                    &replay.control.view(),
                    sessionizer,
                    Position {
                        partition: message.partition(),
                        offset: message.offset(),
                    },
                    message.payload().unwrap_or_default(),
                    chrono::Utc::now().timestamp_millis(),
                    &mut batch,
                );
                report.records += 1;
                bar.inc(1);
                if batch.records() >= replay.batch_rows {
                    write(&replay.sink, std::mem::take(&mut batch), &stop, &mut report).await?;
                }
            }
        }
    }
    write(&replay.sink, batch, &stop, &mut report).await?;
    bar.finish();
    Ok(report)
}

async fn write(
    sink: &ClickHouseSink,
    mut batch: Batch,
    stop: &watch::Receiver<bool>,
    report: &mut ReplayReport,
) -> anyhow::Result<()> {
    let kept = keep_recorded_verifications(sink.client(), &mut batch).await?;
    report.addresses_expired += kept.unchecked;
    report.verifications_kept += kept.kept;
    report.events += batch.events.len() as u64;
    report.rejected += batch.dead_letters.len() as u64;
    if !batch.is_empty() {
        let refused = sink.write(&batch, stop).await?;
        // A replay writes no dead letters: the live loader already wrote these records' own.
        for rejected in &refused {
            tracing::warn!(table = rejected.table, partition = rejected.source.partition,
                offset = rejected.source.offset, detail = %rejected.detail, "row refused");
        }
        report.rejected += refused.len() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_offsets_parse_or_say_what_is_wrong() {
        assert_eq!("all".parse(), Ok(StartAt::Beginning));
        assert_eq!(
            "0=10, 2=5".parse(),
            Ok(StartAt::Offsets(BTreeMap::from([(0, 10), (2, 5)])))
        );
        assert!("0:10"
            .parse::<StartAt>()
            .unwrap_err()
            .contains("partition=offset"));
        assert!("x=1"
            .parse::<StartAt>()
            .unwrap_err()
            .contains("not a partition"));
        assert!("1=-4".parse::<StartAt>().unwrap_err().contains("negative"));
    }
}
