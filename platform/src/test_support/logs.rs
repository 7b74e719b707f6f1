//! Log lines captured into a buffer, so a test can assert what was (or was not) logged.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;

/// Formatted log lines, as the fmt subscriber writes them (without colours), down to DEBUG.
#[derive(Clone, Default)]
pub struct CapturedLogs {
    lines: Arc<Mutex<Vec<u8>>>,
    /// Also printed, so a failing test's output still shows what was logged.
    echo: bool,
}

impl CapturedLogs {
    /// Captures what this thread logs until the guard drops. A current-thread runtime (the default
    /// of `#[tokio::test]`) keeps the tasks it spawns on this thread, so they are captured too.
    pub fn on_this_thread() -> (Self, DefaultGuard) {
        let logs = Self::default();
        let guard = tracing::subscriber::set_default(logs.subscriber().finish());
        (logs, guard)
    }

    /// Captures what every thread logs (servers with worker threads), for the rest of the
    /// process; every caller shares one buffer. Panics when another process-wide subscriber was
    /// installed first: call it before anything that installs one.
    pub fn process_wide() -> Self {
        static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Self {
                echo: true,
                ..Self::default()
            };
            logs.subscriber()
                .try_init()
                .expect("no other process-wide subscriber installed before the capture");
            logs
        })
        .clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lines.lock().unwrap()).into_owned()
    }

    fn subscriber(
        &self,
    ) -> tracing_subscriber::fmt::SubscriberBuilder<
        tracing_subscriber::fmt::format::DefaultFields,
        tracing_subscriber::fmt::format::Format,
        tracing_subscriber::filter::LevelFilter,
        CapturedLogs,
    > {
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(self.clone())
    }
}

pub struct LogWriter(CapturedLogs);

impl io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lines.lock().unwrap().extend_from_slice(buf);
        if self.0.echo {
            // `print!`, not stdout: the test harness captures it per test.
            print!("{}", String::from_utf8_lossy(buf));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LogWriter(self.clone())
    }
}
