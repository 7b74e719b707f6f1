//! The health processor's loop: folds `optiview.edge-stats.v1` into sliding windows, evaluates the
//! window that just closed (when a newer minute arrives, or the input has been quiet for the
//! settle time), writes it to `health_windows`, commits, and queues the alerts its verdicts call
//! for. A tick checks the scheduled jobs for stalls and samples consumer lag.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use clickhouse::Client;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use schemas::alerts::AlertRule;
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::edge_stats::EdgeStats;
use schemas::SchemaRegistry;
use tokio::sync::watch;

use super::alerter::Alerter;
use super::notify::AlertQueue;
use super::rules::{
    judge_job, judge_lag, judge_members, judge_surge, judge_window, LagTrend, Thresholds,
};
use super::store::{self, insert, millis, LagRow, WindowRow};
use super::window::{Figures, Scope, SlidingWindows, MINUTE_MS};
use crate::load::delivery::{deliver_all, Outgoing};
use crate::ops::backlog;
use crate::ops::group_lag::{GroupSample, LagProbe};
use crate::ops::status::Status;
use crate::ops::watchdog::{check_period, Observation, Rejoins, Watchdog};
use crate::telemetry;

pub struct HealthProcessor {
    pub consumer: StreamConsumer,
    pub producer: FutureProducer,
    pub edge_stats_topic: String,
    pub deadletter_topic: String,
    pub client: Client,
    pub thresholds: Thresholds,
    pub window_minutes: u32,
    pub alerts: AlertQueue,
    /// Evaluate the newest window after this long without input.
    pub settle: Duration,
    /// Stall check and lag sample period.
    pub tick: Duration,
    pub lag: Arc<Mutex<LagProbe>>,
    /// For a fresh member when the watchdog finds this one stuck, and the backlog probe.
    pub brokers: String,
    pub group: String,
    pub stuck_after: Duration,
    pub rejoin_attempts: u32,
    pub status: Arc<Status>,
}

struct State {
    windows: SlidingWindows,
    alerter: Alerter,
    newest_minute: Option<i64>,
    /// Records folded in since the last evaluation, and the offsets to commit after it.
    pending: bool,
    offsets: TopicPartitionList,
    /// Per watched group: its lag's run, and since when it has had no member.
    groups: HashMap<String, (LagTrend, Option<i64>)>,
    /// The group sample being taken.
    sampling: Option<tokio::task::JoinHandle<Vec<GroupSample>>>,
}

impl HealthProcessor {
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        self.consumer.subscribe(&[&self.edge_stats_topic])?;
        let backlog = backlog::sample(
            &self.brokers,
            &self.group,
            &self.edge_stats_topic,
            check_period(self.stuck_after),
            stop.clone(),
        );
        let mut watchdog = Watchdog::new(self.stuck_after);
        let mut rejoins = Rejoins::new(self.rejoin_attempts);
        let mut check = tokio::time::interval(check_period(self.stuck_after));
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Since the previous watchdog check, and over this member's life.
        let (mut progressed, mut ever_progressed) = (false, false);
        let mut quiet_deadline: Option<tokio::time::Instant> = None;
        let mut state = State {
            windows: SlidingWindows::new(self.window_minutes),
            alerter: Alerter::new(self.thresholds.dedup_minutes),
            newest_minute: None,
            pending: false,
            offsets: TopicPartitionList::new(),
            groups: HashMap::new(),
            sampling: None,
        };
        let since = Utc::now() - chrono::Duration::minutes(self.thresholds.dedup_minutes * 2);
        match store::recently_fired(&self.client, since).await {
            Ok(fired) => {
                for (rule, scope, at) in fired {
                    state.alerter.remember_fired(rule, &scope, at);
                }
            }
            Err(error) => tracing::warn!(%error, "recent alerts not read; duplicates possible"),
        }
        let registry = SchemaRegistry::builtin();
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tick.tick() => self.check(&mut state).await,
                _ = check.tick() => {
                    let seen = Observation {
                        assigned: self.consumer.assignment().map(|a| a.count()).unwrap_or(0),
                        progressed,
                        group: backlog.get(),
                    };
                    progressed = false;
                    if let Some(why) = watchdog.check(std::time::Instant::now(), seen, &self.status) {
                        if state.pending {
                            self.evaluate(&mut state).await;
                        }
                        let Some(attempt) = rejoins.next(ever_progressed) else {
                            anyhow::bail!(
                                "edge-stats consumer stuck after {} rejoin(s): {why}; exiting for the supervisor to restart",
                                self.rejoin_attempts
                            );
                        };
                        metrics::counter!(telemetry::CONSUMER_REJOINS, "group" => self.group.clone())
                            .increment(1);
                        tracing::warn!(%why, attempt, "rejoining the group as a fresh member");
                        self.consumer = platform::kafka::consumer_config(&self.brokers, &self.group).create()?;
                        self.consumer.subscribe(&[&self.edge_stats_topic])?;
                        watchdog.reset();
                        ever_progressed = false;
                    }
                }
                // The settle time runs from the last record, whatever else the loop did since:
                // a timeout around each receive would restart at every other branch's turn.
                _ = quiet_after(quiet_deadline) => {
                    quiet_deadline = None;
                    if state.pending {
                        self.evaluate(&mut state).await;
                    }
                }
                received = self.consumer.recv() => match received {
                    Ok(message) => {
                        (progressed, ever_progressed) = (true, true);
                        let (partition, offset) = (message.partition(), message.offset());
                        let payload = message.payload().unwrap_or_default().to_vec();
                        drop(message);
                        match registry.decode::<EdgeStats>(&payload) {
                            Ok(record) => self.fold(&mut state, &record).await,
                            Err(error) => {
                                let detail = error.to_string();
                                if self.dead_letter(partition, offset, &payload, &detail, &stop).await.is_err() {
                                    // Stopping before the broker took it: the record stays
                                    // uncommitted and is read again after the restart.
                                    continue;
                                }
                            }
                        }
                        let _ = state.offsets.add_partition_offset(
                            &self.edge_stats_topic, partition, Offset::Offset(offset + 1));
                        state.pending = true;
                        quiet_deadline = Some(tokio::time::Instant::now() + self.settle);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "edge-stats consumer error");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                },
            }
        }
        Ok(())
    }

    async fn fold(&self, state: &mut State, record: &EdgeStats) {
        let minute = record.minute - record.minute.rem_euclid(MINUTE_MS);
        if let Some(newest) = state.newest_minute {
            if minute > newest && state.pending {
                // The first record of a newer minute closes the previous window.
                self.evaluate(state).await;
            }
        }
        let newest = state.newest_minute.map_or(minute, |n| n.max(minute));
        state.newest_minute = Some(newest);
        if !state.windows.add(record, newest) {
            metrics::counter!(telemetry::HEALTH_LATE_RECORDS).increment(1);
        }
    }

    async fn evaluate(&self, state: &mut State) {
        let Some(end) = state.newest_minute else {
            return;
        };
        let window = state.windows.window(end);
        let window_end = end + MINUTE_MS;
        let label = format!(
            "{} min ending {} UTC",
            self.window_minutes,
            millis(window_end).format("%Y-%m-%d %H:%M")
        );
        let evaluated_at = Utc::now();
        let rows: Vec<WindowRow> = window
            .iter()
            .map(|(scope, f)| WindowRow {
                window_end: millis(window_end),
                scope: scope.label(),
                property_id: scope.property_id(),
                requests: f.requests.max(0) as u64,
                events: f.events.max(0) as u64,
                errors: f.errors.max(0) as u64,
                error_rate: f.error_rate(),
                p95_ms: f.p95_ms(),
                window_minutes: u16::try_from(self.window_minutes).unwrap_or(u16::MAX),
                evaluated_at,
            })
            .collect();
        if let Some(global) = window.get(&Scope::Global) {
            metrics::gauge!(telemetry::HEALTH_ERROR_RATE).set(global.error_rate());
            metrics::gauge!(telemetry::HEALTH_P95_MS).set(global.p95_ms());
        }
        // Breached scopes without data in this window are judged on nothing: they resolve.
        let empty = Figures::default();
        let mut scopes: BTreeMap<String, &Figures> =
            window.iter().map(|(s, f)| (s.label(), f)).collect();
        for rule in [AlertRule::ErrorRate, AlertRule::LatencyP95] {
            for scope in state.alerter.breached_scopes(rule) {
                scopes.entry(scope).or_insert(&empty);
            }
        }
        for (scope, figures) in scopes {
            for verdict in judge_window(figures, &self.thresholds) {
                if let Some(alert) = state.alerter.observe(&scope, &verdict, &label, window_end) {
                    self.alerts.push(alert);
                }
            }
        }
        state.windows.prune(end);
        state.pending = false;
        match insert(&self.client, "health_windows", &rows).await {
            Ok(()) => {
                let offsets = std::mem::replace(&mut state.offsets, TopicPartitionList::new());
                if offsets.count() > 0 {
                    if let Err(error) = self.consumer.commit(&offsets, CommitMode::Async) {
                        tracing::warn!(%error, "edge-stats offsets not committed");
                    }
                }
            }
            // Offsets stay uncommitted: after a restart these minutes are read again.
            Err(error) => tracing::warn!(%error, "health window not written"),
        }
    }

    /// Stall verdicts on every job that ever ran, and a consumer-lag sample.
    async fn check(&self, state: &mut State) {
        let now = Utc::now().timestamp_millis();
        match store::job_histories(&self.client).await {
            Ok(jobs) => {
                for job in jobs {
                    let (since, what) = if job.last_success_ms > 0 {
                        (job.last_success_ms, "last success")
                    } else {
                        (job.first_started_ms, "never succeeded; first run")
                    };
                    let age_minutes = (now - since) as f64 / MINUTE_MS as f64;
                    let window = format!("{what} {} UTC", millis(since).format("%Y-%m-%d %H:%M"));
                    let verdict = judge_job(age_minutes, &self.thresholds);
                    let scope = format!("job:{}", job.job);
                    if let Some(alert) = state.alerter.observe(&scope, &verdict, &window, now) {
                        self.alerts.push(alert);
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "job runs not read; stall check skipped"),
        }
        self.check_surges(state, now).await;
        self.sample_lag(state).await;
    }

    /// Crawl surges per project and operator, spoofing surges per project and claimed agent.
    /// Scopes that were breached and have no hits in the window any more get their verdict too,
    /// so they resolve.
    async fn check_surges(&self, state: &mut State, now: i64) {
        let t = &self.thresholds;
        let window_ms = t.surge_window_minutes * MINUTE_MS;
        let baseline_ms = t.surge_baseline_hours * 60 * MINUTE_MS;
        let (operators, spoofed) =
            match store::surge_counts(&self.client, now, window_ms, baseline_ms).await {
                Ok(counts) => counts,
                Err(error) => {
                    tracing::warn!(%error, "crawler hits not read; surge check skipped");
                    return;
                }
            };
        let window = format!("last {} min", t.surge_window_minutes);
        for (rule, counts, what) in [
            (AlertRule::CrawlSurge, operators, "operator"),
            (AlertRule::SpoofedSurge, spoofed, "agent"),
        ] {
            let mut judged = std::collections::HashSet::new();
            for c in counts {
                let scope = format!("project:{}:{what}:{}", c.project_id, c.key);
                let verdict = judge_surge(rule, c.window_hits, c.baseline_hits, t);
                if let Some(alert) = state.alerter.observe(&scope, &verdict, &window, now) {
                    self.alerts.push(alert);
                }
                judged.insert(scope);
            }
            for scope in state.alerter.breached_scopes(rule) {
                if !judged.contains(&scope) {
                    let verdict = judge_surge(rule, 0, 0, t);
                    if let Some(alert) = state.alerter.observe(&scope, &verdict, &window, now) {
                        self.alerts.push(alert);
                    }
                }
            }
        }
    }

    /// Writes each watched group's lag and judges its growth and membership.
    /// Judges and writes the sample taken since the previous tick, and starts the next one.
    /// Sampling runs off the loop: librdkafka's metadata, offset and group calls block for
    /// seconds when the broker is slow or refuses one (Tansu 0.6 drops the connection on a
    /// group listing), and windows must not wait for it.
    async fn sample_lag(&self, state: &mut State) {
        if state
            .sampling
            .as_ref()
            .is_some_and(|task| task.is_finished())
        {
            if let Some(task) = state.sampling.take() {
                let measured = task.await.unwrap_or_default();
                self.judge_groups(state, measured).await;
            }
        }
        if state.sampling.is_none() {
            let probe = self.lag.clone();
            state.sampling = Some(tokio::task::spawn_blocking(move || {
                probe.lock().map(|mut p| p.measure()).unwrap_or_default()
            }));
        }
    }

    async fn judge_groups(&self, state: &mut State, measured: Vec<GroupSample>) {
        let now = Utc::now().timestamp_millis();
        let window = format!("sampled {} UTC", millis(now).format("%Y-%m-%d %H:%M:%S"));
        for sample in &measured {
            let (trend, memberless_since) = state
                .groups
                .entry(sample.group.clone())
                .and_modify(|(t, _)| t.observe(sample.lag, now))
                .or_insert_with(|| (LagTrend::start(sample.lag, now), None));
            let mut verdicts = vec![judge_lag(trend, now, &self.thresholds)];
            // Unlisted members (coordinator unreachable): no membership verdict this time.
            if let Some(members) = sample.members {
                *memberless_since = match members {
                    0 => Some(memberless_since.unwrap_or(now)),
                    _ => None,
                };
                verdicts.push(judge_members(*memberless_since, now, &self.thresholds));
            }
            let scope = format!("group:{}", sample.group);
            for verdict in verdicts {
                if let Some(alert) = state.alerter.observe(&scope, &verdict, &window, now) {
                    self.alerts.push(alert);
                }
            }
        }
        if let Err(error) = insert(&self.client, "consumer_lag", &lag_rows(measured)).await {
            tracing::warn!(%error, "consumer lag not written");
        }
    }

    /// Writes the dead letter and returns once the broker acknowledged it, as the loader does:
    /// the record's offset may be committed only then. Err only when stopping first.
    async fn dead_letter(
        &self,
        partition: i32,
        offset: i64,
        payload: &[u8],
        detail: &str,
        stop: &watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        tracing::warn!(partition, offset, detail, "undecodable edge-stats record");
        let letter = DeadLetter {
            at: Utc::now().timestamp_millis(),
            stage: "health".into(),
            source_topic: self.edge_stats_topic.clone(),
            source_partition: partition,
            source_offset: offset,
            reason: DeadLetterReason::Undecodable,
            detail: detail.chars().take(500).collect(),
            original: payload.to_vec(),
        };
        metrics::counter!(telemetry::DEAD_LETTERS, "reason" => letter.reason.as_str()).increment(1);
        let outgoing = Outgoing::dead_letter(&letter, &self.deadletter_topic)?;
        let refused = deliver_all(&self.producer, vec![outgoing], stop).await?;
        if !refused.is_empty() {
            metrics::counter!(telemetry::DEAD_LETTERS_REFUSED).increment(refused.len() as u64);
        }
        Ok(())
    }
}

/// Resolves at `deadline`; never without one.
async fn quiet_after(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

pub fn lag_rows(measured: Vec<GroupSample>) -> Vec<LagRow> {
    let at = Utc::now();
    measured
        .into_iter()
        .map(|sample| {
            metrics::gauge!(telemetry::GROUP_LAG, "group" => sample.group.clone(), "topic" => sample.topic.clone())
                .set(sample.lag as f64);
            LagRow {
                at,
                group_id: sample.group,
                topic: sample.topic,
                lag: sample.lag,
            }
        })
        .collect()
}
