//! The real service processes the run starts, kills and starts again, and the supervisor that
//! restarts one that exits on its own (as systemd or `infra/stack` would: the loader's watchdog
//! exits on purpose and counts on it).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One service: how to start it, and the running child if any.
pub struct Service {
    pub name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    /// Whether the schedule wants it running (the supervisor restarts it only then).
    wanted: bool,
    /// When the supervisor saw it exit by itself.
    exited_at: Option<Instant>,
    /// Exits nobody asked for, with their status, in order.
    pub unexpected_exits: Vec<String>,
}

pub type Shared = Arc<Mutex<Service>>;

impl Service {
    pub fn new(name: &'static str, program: PathBuf, args: Vec<String>, logs: &Path) -> Shared {
        Arc::new(Mutex::new(Self {
            name,
            program,
            args,
            log: logs.join(format!("{name}.log")),
            child: None,
            wanted: false,
            exited_at: None,
            unexpected_exits: Vec::new(),
        }))
    }

    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log");
        let child = Command::new(&self.program)
            .args(&self.args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.program.display()));
        self.child = Some(child);
        self.wanted = true;
        self.exited_at = None;
    }

    /// SIGKILL, and left down until [`Service::spawn`].
    pub fn kill_9_and_leave_down(&mut self) {
        self.wanted = false;
        self.kill_9();
    }

    /// SIGKILL: nothing the process had not made durable survives.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The child's exit status if it exited by itself (then it is no longer held).
    fn exited(&mut self) -> Option<String> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        Some(status.to_string())
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// Restarts any service that exited without being killed by the schedule, one second later.
pub fn supervise(services: Vec<Shared>, elapsed: impl Fn() -> f64 + Send + 'static) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(250));
        for service in &services {
            let mut service = service.lock().unwrap();
            if let Some(status) = service.exited() {
                eprintln!(
                    "[chaos {:6.1}s] {} exited by itself ({status}); restarting it in 1 s",
                    elapsed(),
                    service.name
                );
                let note = format!("{status} at {:.0} s", elapsed());
                service.unexpected_exits.push(note);
                service.exited_at = Some(Instant::now());
            }
            let due = service
                .exited_at
                .is_some_and(|at| at.elapsed() >= Duration::from_secs(1));
            if due && service.wanted && service.child.is_none() {
                service.spawn();
            }
        }
    });
}
