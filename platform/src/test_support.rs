//! Helpers for integration tests against the real broker and ClickHouse that `infra/test` starts.
//! Names are random so tests run in parallel; topics and databases are dropped with their guard.

pub mod logs;
pub mod memory;
pub mod webhook;

use std::time::Duration;

use rand::distr::{Alphanumeric, SampleString};

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run integration tests with infra/test, which starts the broker and ClickHouse and sets it")
    })
}

/// Bootstrap servers of the test broker.
pub fn kafka_brokers() -> String {
    required_env(crate::kafka::BROKERS_ENV)
}

/// HTTP URL of the test ClickHouse.
pub fn clickhouse_url() -> String {
    required_env("OPTIVIEW_CLICKHOUSE_URL")
}

/// A client for `url` with the test ClickHouse's credentials (`OPTIVIEW_CLICKHOUSE_USER` /
/// `OPTIVIEW_CLICKHOUSE_PASSWORD`, which `infra/stack env` exports): the local gateway refuses
/// requests without them.
pub fn clickhouse_client(url: &str) -> clickhouse::Client {
    let mut client = clickhouse::Client::default().with_url(url);
    if let Ok(user) = std::env::var("OPTIVIEW_CLICKHOUSE_USER") {
        client = client.with_user(user);
    }
    if let Ok(password) = std::env::var("OPTIVIEW_CLICKHOUSE_PASSWORD") {
        client = client.with_password(password);
    }
    client
}

/// The test ClickHouse as the services' flags would name it, credentials included, for code that
/// takes [`crate::clickhouse::ClickHouseArgs`].
pub fn clickhouse_args(database: &str) -> crate::clickhouse::ClickHouseArgs {
    crate::clickhouse::ClickHouseArgs {
        url: clickhouse_url(),
        database: database.to_owned(),
        user: std::env::var("OPTIVIEW_CLICKHOUSE_USER").ok(),
        password: std::env::var("OPTIVIEW_CLICKHOUSE_PASSWORD").ok(),
        cluster: None,
    }
}

/// Path of an environment-provided binary or script (e.g. `OPTIVIEW_TANSU_BIN`).
pub fn tool(name: &str) -> String {
    required_env(name)
}

/// `prefix_` + 12 random lowercase letters and digits.
pub fn random_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        Alphanumeric
            .sample_string(&mut rand::rng(), 12)
            .to_lowercase()
    )
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs async cleanup from `Drop`, where no runtime may be available.
fn block_on_cleanup<F: std::future::Future<Output = ()> + Send + 'static>(future: F) {
    let _ = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(20), future)
                    .await
                    .ok()
            });
        }
    })
    .join();
}

/// A database with a random name, dropped when the guard goes out of scope.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let url = clickhouse_url();
        let name = random_name("test");
        clickhouse_client(&url)
            .query("CREATE DATABASE ?")
            .bind(clickhouse::sql::Identifier(&name))
            .execute()
            .await
            .expect("create test database");
        Self { name, url }
    }

    /// A client whose unqualified table names resolve in this database.
    pub fn client(&self) -> clickhouse::Client {
        clickhouse_client(&self.url).with_database(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        block_on_cleanup(async move {
            let _ = clickhouse_client(&url)
                .query("DROP DATABASE IF EXISTS ?")
                .bind(clickhouse::sql::Identifier(&name))
                .execute()
                .await;
        });
    }
}

/// The repository's ClickHouse migrations, the ones `infra/stack up` applies.
pub fn repo_migrations_dir() -> &'static std::path::Path {
    std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/clickhouse/migrations"
    ))
}

/// Applies every repository migration through `client`.
pub async fn apply_repo_migrations(client: &clickhouse::Client) {
    let migrations =
        crate::clickhouse::migrations::load_dir(repo_migrations_dir()).expect("migrations load");
    crate::clickhouse::migrations::migrate(client, &migrations)
        .await
        .expect("migrations apply");
}

impl TestDatabase {
    /// A database with every repository migration applied.
    pub async fn migrated() -> Self {
        let db = Self::create().await;
        apply_repo_migrations(&db.client()).await;
        db
    }
}

/// Topics with random names. They are not deleted afterwards: the test broker's data directory
/// is thrown away by `infra/test`, and Tansu 0.6 panics its storage task when a topic is deleted
/// while an idempotent producer writes to another topic (reproduced; README, Known issues).
pub struct TestTopics {
    pub brokers: String,
    pub names: Vec<String>,
}

impl TestTopics {
    /// Creates one topic per `(prefix, partitions)` pair.
    pub async fn create(specs: &[(&str, i32)]) -> Self {
        let brokers = kafka_brokers();
        let definitions: Vec<schemas::topics::TopicDefinition> = specs
            .iter()
            .map(|(prefix, partitions)| schemas::topics::TopicDefinition {
                name: random_name(prefix),
                partitions: *partitions,
                // Finite: Tansu expires every record of a delete topic with retention -1.
                retention_ms: 86_400_000,
                cleanup_policy: "delete".into(),
            })
            .collect();
        crate::kafka::admin::ensure_topics(&brokers, &definitions, 1)
            .await
            .expect("create test topics");
        Self {
            brokers,
            names: definitions.into_iter().map(|d| d.name).collect(),
        }
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }
}

/// A broker of the test's own (same Tansu binary, own port and data directory), so a test can
/// kill and restart it without disturbing the shared one.
pub struct OwnBroker {
    child: Option<std::process::Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// Every client must authenticate with SASL (Tansu checks SCRAM passwords).
    authentication: bool,
}

impl OwnBroker {
    pub fn start() -> Self {
        let mut broker = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            authentication: false,
        };
        broker.launch();
        broker
    }

    /// A broker that admits only SASL/SCRAM-SHA-512 clients, with one user. Tansu creates users
    /// only for an unauthenticated client, so the user is made first and the broker restarted
    /// with authentication on the same storage.
    pub fn start_with_scram_user(user: &str, password: &str) -> Self {
        let mut broker = Self::start();
        let out = std::process::Command::new(tool("OPTIVIEW_TANSU_BIN"))
            .args(["user", "create", user, password, "--mechanism", "scram512"])
            .arg(format!("--broker=tcp://127.0.0.1:{}", broker.port))
            .output()
            .expect("run tansu user create");
        assert!(
            out.status.success(),
            "tansu user create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        broker.authentication = true;
        broker.restart();
        broker
    }

    fn launch(&mut self) {
        let mut command = std::process::Command::new(tool("OPTIVIEW_TANSU_BIN"));
        command
            .current_dir(self.dir.path())
            .args(["broker", "--cluster-id", "own-broker"])
            .arg(format!("--listener-url=tcp://127.0.0.1:{}", self.port))
            .arg(format!(
                "--advertised-listener-url=tcp://127.0.0.1:{}",
                self.port
            ))
            .arg("--storage-engine=sqlite://tansu.db");
        if self.authentication {
            command.arg("--authentication");
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "tansu did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL: nothing that was not already durable survives.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and data directory.
    pub fn restart(&mut self) {
        self.kill_9();
        self.launch();
    }
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// Reads a topic from the beginning until `want` messages arrived or nothing came for 3 s.
pub async fn read_topic<T: schemas::Contract>(
    brokers: &str,
    topic: &str,
    partitions: i32,
    want: usize,
) -> Vec<T> {
    let registry = schemas::SchemaRegistry::builtin();
    read_raw(brokers, topic, partitions, want)
        .await
        .iter()
        .map(|payload| registry.decode::<T>(payload).expect("decodable"))
        .collect()
}

/// [`read_topic`]'s payloads, undecoded.
pub async fn read_raw(brokers: &str, topic: &str, partitions: i32, want: usize) -> Vec<Vec<u8>> {
    use rdkafka::consumer::{Consumer, StreamConsumer};
    use rdkafka::{Message, Offset, TopicPartitionList};
    let consumer: StreamConsumer = crate::kafka::client_config(brokers)
        .set("group.id", random_name("read"))
        .create()
        .expect("reader");
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let mut out = Vec::new();
    while out.len() < want {
        match tokio::time::timeout(Duration::from_secs(3), consumer.recv()).await {
            Ok(Ok(m)) => out.push(m.payload().unwrap_or_default().to_vec()),
            _ => break,
        }
    }
    out
}

/// A ClickHouse gateway of the test's own (same script and engine, own port and data directory),
/// so a test can stop and restart it. Its password is its own too, kept next to the data
/// (`dir/gateway.password`) so that a restart on the same directory takes the clients made before.
pub struct OwnGateway {
    child: std::process::Child,
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl OwnGateway {
    pub fn start(dir: &std::path::Path, port: u16) -> Self {
        std::fs::create_dir_all(dir).expect("gateway data directory");
        let password_file = dir.join("gateway.password");
        let password = match std::fs::read_to_string(&password_file) {
            Ok(existing) => existing.trim().to_owned(),
            Err(_) => {
                let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
                std::fs::write(&password_file, &password).expect("write the gateway password");
                password
            }
        };
        let child = std::process::Command::new(tool("OPTIVIEW_GATEWAY_PYTHON"))
            .arg(tool("OPTIVIEW_GATEWAY_SCRIPT"))
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(dir)
            .arg("--password-file")
            .arg(&password_file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the gateway");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "gateway did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            port,
            user: "default".to_owned(),
            password,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The gateway's process id, for faults a test sends it itself (SIGSTOP to freeze it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn client(&self) -> clickhouse::Client {
        clickhouse::Client::default()
            .with_url(self.url())
            .with_user(&self.user)
            .with_password(&self.password)
    }

    /// SIGTERM, as `infra/stack down` sends; waits for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        self.child.wait().expect("wait for the gateway")
    }
}

impl Drop for OwnGateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
