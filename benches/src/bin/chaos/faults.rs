//! The schedule of faults and how each one is done to the real processes.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use platform::kafka::producer_config;
use platform::test_support::{OwnBroker, OwnGateway};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::procs::Shared;
use crate::traffic::get;
use crate::watch::Watch;

/// The poison record's bytes, to find its dead letter by.
pub const POISON: &[u8] = b"chaos: not an Avro single-object record";

#[derive(Debug, Clone)]
pub enum Fault {
    /// SIGKILL the broker, leave it down, start it again on the same storage.
    BrokerKill { down: Duration },
    /// SIGKILL the loader in steady state; its supervisor starts it again at once.
    ProcessorKill,
    /// SIGKILL the loader, start it, and SIGKILL it again as soon as it restored a partition's
    /// sessions (before its first batch is committed), then start it again.
    ProcessorKillDuringRestore,
    /// Freeze ClickHouse (SIGSTOP) so the loader's next insert hangs, SIGKILL the loader inside
    /// that insert, start it, then let ClickHouse go on (SIGCONT): the frozen insert may still
    /// land after its writer died, and the new loader writes the same records again.
    ProcessorKillInInsert { frozen: Duration },
    /// Stop ClickHouse (SIGTERM) for a while, then start it on the same data.
    GatewayDown { down: Duration },
    /// SIGKILL the collector, leave it down, start it again.
    EdgeKill { down: Duration },
    /// Bytes that are no beacon, produced straight onto the beacons topic.
    Poison,
}

impl Fault {
    pub fn label(&self) -> String {
        match self {
            Fault::BrokerKill { down } => format!("broker SIGKILL, down {} s", down.as_secs()),
            Fault::ProcessorKill => "processor SIGKILL".into(),
            Fault::ProcessorKillDuringRestore => "processor SIGKILL during session restore".into(),
            Fault::ProcessorKillInInsert { .. } => {
                "processor SIGKILL inside a ClickHouse insert (gateway frozen)".into()
            }
            Fault::GatewayDown { down } => format!("ClickHouse down {} s", down.as_secs()),
            Fault::EdgeKill { down } => format!("collector SIGKILL, down {} s", down.as_secs()),
            Fault::Poison => "poison record on the beacons topic".into(),
        }
    }
}

pub struct Schedule {
    pub warm_up: Duration,
    /// Steady traffic after each fault before the next.
    pub gap: Duration,
    pub faults: Vec<Fault>,
}

impl Schedule {
    pub fn long(broker_down: u64, gateway_down: u64, edge_down: u64, gap: u64) -> Self {
        Self {
            warm_up: Duration::from_secs(20),
            gap: Duration::from_secs(gap),
            faults: vec![
                Fault::BrokerKill {
                    down: Duration::from_secs(broker_down),
                },
                Fault::ProcessorKill,
                Fault::ProcessorKillDuringRestore,
                Fault::ProcessorKillInInsert {
                    frozen: Duration::from_secs(5),
                },
                Fault::GatewayDown {
                    down: Duration::from_secs(gateway_down),
                },
                Fault::EdgeKill {
                    down: Duration::from_secs(edge_down),
                },
                Fault::Poison,
            ],
        }
    }

    /// A couple of minutes for CI: no separate steady-state loader kill (the restore kill starts
    /// with one), short outages.
    pub fn short(broker_down: u64, gateway_down: u64, edge_down: u64, gap: u64) -> Self {
        Self {
            warm_up: Duration::from_secs(5),
            gap: Duration::from_secs(gap),
            faults: vec![
                Fault::BrokerKill {
                    down: Duration::from_secs(broker_down),
                },
                Fault::ProcessorKillDuringRestore,
                Fault::ProcessorKillInInsert {
                    frozen: Duration::from_secs(4),
                },
                Fault::GatewayDown {
                    down: Duration::from_secs(gateway_down),
                },
                Fault::EdgeKill {
                    down: Duration::from_secs(edge_down),
                },
                Fault::Poison,
            ],
        }
    }
}

/// Everything a fault acts on.
pub struct Cluster {
    pub broker: Mutex<OwnBroker>,
    pub gateway: Mutex<Option<OwnGateway>>,
    pub gateway_dir: PathBuf,
    pub gateway_port: u16,
    pub edge: Shared,
    pub loader: Shared,
    pub loader_ops: String,
    pub health: Shared,
    pub beacons_topic: String,
}

impl Cluster {
    pub async fn inflict(&self, fault: &Fault, watch: &Watch) {
        match fault {
            Fault::BrokerKill { down } => {
                watch.pause(true);
                self.broker.lock().unwrap().kill_9();
                tokio::time::sleep(*down).await;
                tokio::task::block_in_place(|| self.broker.lock().unwrap().restart());
                watch.pause(false);
            }
            Fault::ProcessorKill => self.restart_loader(),
            Fault::ProcessorKillDuringRestore => {
                self.restart_loader();
                let started = Instant::now();
                // Partitions are restored on their first record after the assignment.
                while self.partitions_restored().await == 0
                    && started.elapsed() < Duration::from_secs(30)
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                eprintln!(
                    "          restoring {:.1} s after the restart: killed again",
                    started.elapsed().as_secs_f64()
                );
                self.restart_loader();
            }
            Fault::ProcessorKillInInsert { frozen } => {
                watch.pause(true);
                let pid = self.gateway_pid();
                signal("STOP", pid);
                // Longer than the loader's batch period: a batch is due and its insert hangs.
                tokio::time::sleep(*frozen).await;
                self.restart_loader();
                tokio::time::sleep(Duration::from_secs(1)).await;
                signal("CONT", pid);
                watch.pause(false);
            }
            Fault::GatewayDown { down } => {
                watch.pause(true);
                let gateway = self
                    .gateway
                    .lock()
                    .unwrap()
                    .take()
                    .expect("gateway running");
                tokio::task::block_in_place(|| gateway.terminate());
                tokio::time::sleep(*down).await;
                let restarted = tokio::task::block_in_place(|| {
                    OwnGateway::start(&self.gateway_dir, self.gateway_port)
                });
                *self.gateway.lock().unwrap() = Some(restarted);
                watch.pause(false);
            }
            Fault::EdgeKill { down } => {
                self.edge.lock().unwrap().kill_9_and_leave_down();
                tokio::time::sleep(*down).await;
                self.edge.lock().unwrap().spawn();
            }
            Fault::Poison => self.poison().await,
        }
    }

    fn restart_loader(&self) {
        let mut loader = self.loader.lock().unwrap();
        loader.kill_9();
        loader.spawn();
    }

    fn gateway_pid(&self) -> u32 {
        self.gateway
            .lock()
            .unwrap()
            .as_ref()
            .expect("gateway running")
            .pid()
    }

    async fn partitions_restored(&self) -> u64 {
        let Some((200, metrics)) = get(&self.loader_ops, "/metrics").await else {
            return 0;
        };
        let name = stream_processors::telemetry::SESSIONS_RESTORED;
        metrics
            .lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    async fn poison(&self) {
        let brokers = self.broker.lock().unwrap().brokers();
        let producer: FutureProducer = producer_config(&brokers).create().expect("producer");
        producer
            .send(
                FutureRecord::to(&self.beacons_topic)
                    .key("chaos:poison")
                    .payload(POISON),
                Duration::from_secs(30),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("poison record produced");
    }

    /// Answers /readyz with 200 within `limit`.
    pub async fn ready(addr: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if matches!(get(addr, "/readyz").await, Some((200, _))) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }
}

fn signal(name: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}
