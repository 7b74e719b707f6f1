//! How a service authenticates to Kafka: read once from the environment, so every client a
//! service builds (producers, group consumers, the control follower, the lag reader, the topic
//! admin) uses the same settings without each call site passing them on. Locally nothing is set
//! and clients speak PLAINTEXT; production sets SASL_SSL with one SCRAM user per service.

use std::fmt;
use std::sync::OnceLock;

use rdkafka::ClientConfig;

pub const SECURITY_PROTOCOL_ENV: &str = "OPTIVIEW_KAFKA_SECURITY_PROTOCOL";
pub const SASL_MECHANISM_ENV: &str = "OPTIVIEW_KAFKA_SASL_MECHANISM";
pub const SASL_USERNAME_ENV: &str = "OPTIVIEW_KAFKA_SASL_USERNAME";
pub const SASL_PASSWORD_ENV: &str = "OPTIVIEW_KAFKA_SASL_PASSWORD";
pub const SSL_CA_LOCATION_ENV: &str = "OPTIVIEW_KAFKA_SSL_CA_LOCATION";

/// librdkafka's `security.protocol` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    const ALL: [Self; 4] = [
        Self::Plaintext,
        Self::Ssl,
        Self::SaslPlaintext,
        Self::SaslSsl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }

    fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }

    fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// Whether what crosses the network is encrypted and the client authenticated: what
    /// production requires.
    pub fn is_protected(self) -> bool {
        self == Self::SaslSsl
    }
}

/// SASL mechanisms librdkafka (built with OpenSSL) speaks and a Kafka broker offers for users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    ScramSha256,
    ScramSha512,
    Plain,
}

impl SaslMechanism {
    const ALL: [Self; 3] = [Self::ScramSha512, Self::ScramSha256, Self::Plain];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
            Self::Plain => "PLAIN",
        }
    }
}

/// A password that prints as `<redacted>`: `Debug` of the settings ends up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: Password,
}

/// A service's Kafka security settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSecurity {
    pub protocol: SecurityProtocol,
    pub sasl: Option<SaslCredentials>,
    /// PEM file of the CA that signed the brokers' certificates; the system's store without it.
    pub ca_location: Option<String>,
}

/// A setting that cannot work, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable}: {problem}")]
pub struct KafkaSecurityError {
    pub variable: &'static str,
    pub problem: String,
}

fn error(variable: &'static str, problem: impl Into<String>) -> KafkaSecurityError {
    KafkaSecurityError {
        variable,
        problem: problem.into(),
    }
}

fn parse_one<T: Copy>(
    variable: &'static str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, KafkaSecurityError> {
    all.iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            error(
                variable,
                format!("{text:?} is not one of {}", known.join(", ")),
            )
        })
}

impl KafkaSecurity {
    pub const PLAINTEXT: Self = Self {
        protocol: SecurityProtocol::Plaintext,
        sasl: None,
        ca_location: None,
    };

    /// From `lookup` (the environment in a service); unset or empty variables count as absent.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, KafkaSecurityError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let protocol = match get(SECURITY_PROTOCOL_ENV) {
            None => SecurityProtocol::Plaintext,
            Some(text) => parse_one(
                SECURITY_PROTOCOL_ENV,
                &text,
                &SecurityProtocol::ALL,
                SecurityProtocol::as_str,
            )?,
        };
        let username = get(SASL_USERNAME_ENV);
        let password = get(SASL_PASSWORD_ENV);
        let sasl = if protocol.uses_sasl() {
            let mechanism = match get(SASL_MECHANISM_ENV) {
                None => SaslMechanism::ScramSha512,
                Some(text) => parse_one(
                    SASL_MECHANISM_ENV,
                    &text,
                    &SaslMechanism::ALL,
                    SaslMechanism::as_str,
                )?,
            };
            let username = username.ok_or_else(|| {
                error(
                    SASL_USERNAME_ENV,
                    format!("is empty; {} needs a user", protocol.as_str()),
                )
            })?;
            let password = password.ok_or_else(|| {
                error(
                    SASL_PASSWORD_ENV,
                    format!("is empty; {} needs the user's password", protocol.as_str()),
                )
            })?;
            Some(SaslCredentials {
                mechanism,
                username,
                password: Password(password),
            })
        } else {
            // Credentials given to a protocol that sends none are a misconfiguration, not a
            // choice: the operator believes the service authenticates.
            if let Some(variable) = [
                (SASL_USERNAME_ENV, &username),
                (SASL_PASSWORD_ENV, &password),
            ]
            .iter()
            .find(|(_, v)| v.is_some())
            .map(|(name, _)| *name)
            {
                return Err(error(
                    variable,
                    format!(
                        "is set but {SECURITY_PROTOCOL_ENV} is {}; use SASL_SSL (or SASL_PLAINTEXT)",
                        protocol.as_str()
                    ),
                ));
            }
            None
        };
        let ca_location = get(SSL_CA_LOCATION_ENV);
        if ca_location.is_some() && !protocol.uses_tls() {
            return Err(error(
                SSL_CA_LOCATION_ENV,
                format!(
                    "is set but {SECURITY_PROTOCOL_ENV} is {}, which uses no TLS",
                    protocol.as_str()
                ),
            ));
        }
        Ok(Self {
            protocol,
            sasl,
            ca_location,
        })
    }

    pub fn from_env() -> Result<Self, KafkaSecurityError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Adds the settings to a client's configuration.
    pub fn apply(&self, config: &mut ClientConfig) {
        if self.protocol == SecurityProtocol::Plaintext {
            return;
        }
        config.set("security.protocol", self.protocol.as_str());
        if let Some(sasl) = &self.sasl {
            config
                .set("sasl.mechanism", sasl.mechanism.as_str())
                .set("sasl.username", &sasl.username)
                .set("sasl.password", &sasl.password.0);
        }
        if let Some(ca) = &self.ca_location {
            config.set("ssl.ca.location", ca);
        }
    }
}

static FROM_ENV: OnceLock<Result<KafkaSecurity, KafkaSecurityError>> = OnceLock::new();

/// The process's settings, read from the environment on first use.
pub fn from_env_once() -> &'static Result<KafkaSecurity, KafkaSecurityError> {
    FROM_ENV.get_or_init(KafkaSecurity::from_env)
}

/// Checks the environment's settings at start-up, or prints the problem and exits 2 (a usage
/// error, like a flag clap cannot parse), before any client is built from them.
pub fn validated_from_env() -> &'static KafkaSecurity {
    match from_env_once() {
        Ok(security) => security,
        Err(problem) => {
            eprintln!("error: {problem}");
            std::process::exit(2);
        }
    }
}

/// [`validated_from_env`], and in production also refuses anything but SASL_SSL: there the
/// brokers hold the authorization database (the control topic), so an unauthenticated or
/// unencrypted client is a misconfiguration even if some listener would take it.
pub fn validated_for(environment: crate::config::Environment) -> &'static KafkaSecurity {
    let security = validated_from_env();
    if let Err(problem) = production_requirement(environment, security) {
        eprintln!("error: {problem}");
        std::process::exit(2);
    }
    security
}

fn production_requirement(
    environment: crate::config::Environment,
    security: &KafkaSecurity,
) -> Result<(), KafkaSecurityError> {
    if environment == crate::config::Environment::Production && !security.protocol.is_protected() {
        return Err(error(
            SECURITY_PROTOCOL_ENV,
            format!(
                "is {} in production; use SASL_SSL with the service's SCRAM user",
                security.protocol.as_str()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<KafkaSecurity, KafkaSecurityError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        KafkaSecurity::from_lookup(|name| map.get(name).cloned())
    }

    const KEYS: [&str; 5] = [
        "security.protocol",
        "sasl.mechanism",
        "sasl.username",
        "sasl.password",
        "ssl.ca.location",
    ];

    fn settings(security: &KafkaSecurity) -> HashMap<String, String> {
        let mut config = ClientConfig::new();
        security.apply(&mut config);
        KEYS.iter()
            .filter_map(|key| config.get(key).map(|v| (key.to_string(), v.to_owned())))
            .collect()
    }

    #[test]
    fn nothing_set_is_plaintext_and_adds_no_setting() {
        let security = parse(&[]).unwrap();
        assert_eq!(security, KafkaSecurity::PLAINTEXT);
        assert!(settings(&security).is_empty());
    }

    #[test]
    fn sasl_ssl_sets_protocol_mechanism_credentials_and_ca() {
        let security = parse(&[
            (SECURITY_PROTOCOL_ENV, "sasl_ssl"),
            (SASL_USERNAME_ENV, "edge"),
            (SASL_PASSWORD_ENV, "pw-1"),
            (SSL_CA_LOCATION_ENV, "/run/secrets/ca.pem"),
        ])
        .unwrap();
        let set = settings(&security);
        assert_eq!(set["security.protocol"], "SASL_SSL");
        // SCRAM-SHA-512 is what the production brokers enable; the default when unset.
        assert_eq!(set["sasl.mechanism"], "SCRAM-SHA-512");
        assert_eq!(set["sasl.username"], "edge");
        assert_eq!(set["sasl.password"], "pw-1");
        assert_eq!(set["ssl.ca.location"], "/run/secrets/ca.pem");
        assert!(security.protocol.is_protected());
    }

    #[test]
    fn the_password_never_prints() {
        let security = parse(&[
            (SECURITY_PROTOCOL_ENV, "SASL_PLAINTEXT"),
            (SASL_MECHANISM_ENV, "SCRAM-SHA-256"),
            (SASL_USERNAME_ENV, "api"),
            (SASL_PASSWORD_ENV, "marker-4f1d"),
        ])
        .unwrap();
        let printed = format!("{security:?}");
        assert!(!printed.contains("marker-4f1d"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
    }

    #[test]
    fn misconfigurations_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[(SECURITY_PROTOCOL_ENV, "TLS")], SECURITY_PROTOCOL_ENV),
            (
                &[
                    (SECURITY_PROTOCOL_ENV, "SASL_SSL"),
                    (SASL_PASSWORD_ENV, "p"),
                ],
                SASL_USERNAME_ENV,
            ),
            (
                &[
                    (SECURITY_PROTOCOL_ENV, "SASL_SSL"),
                    (SASL_USERNAME_ENV, "u"),
                ],
                SASL_PASSWORD_ENV,
            ),
            (
                &[
                    (SECURITY_PROTOCOL_ENV, "SASL_SSL"),
                    (SASL_MECHANISM_ENV, "GSSAPI"),
                    (SASL_USERNAME_ENV, "u"),
                    (SASL_PASSWORD_ENV, "p"),
                ],
                SASL_MECHANISM_ENV,
            ),
            // A password with PLAINTEXT would silently not be sent.
            (&[(SASL_PASSWORD_ENV, "p")], SASL_PASSWORD_ENV),
        ];
        for (vars, variable) in cases {
            let problem = parse(vars).expect_err("refused");
            assert_eq!(problem.variable, variable, "{vars:?}: {problem}");
        }
    }

    #[test]
    fn production_takes_only_sasl_ssl() {
        use crate::config::Environment;
        let plaintext = parse(&[]).unwrap();
        let problem = production_requirement(Environment::Production, &plaintext)
            .expect_err("PLAINTEXT refused in production");
        assert_eq!(problem.variable, SECURITY_PROTOCOL_ENV);
        assert!(production_requirement(Environment::Local, &plaintext).is_ok());
        let sasl_ssl = parse(&[
            (SECURITY_PROTOCOL_ENV, "SASL_SSL"),
            (SASL_USERNAME_ENV, "u"),
            (SASL_PASSWORD_ENV, "p"),
        ])
        .unwrap();
        assert!(production_requirement(Environment::Production, &sasl_ssl).is_ok());
    }

    #[test]
    fn a_ca_without_tls_is_refused() {
        let problem = parse(&[
            (SECURITY_PROTOCOL_ENV, "SASL_PLAINTEXT"),
            (SASL_USERNAME_ENV, "u"),
            (SASL_PASSWORD_ENV, "p"),
            (SSL_CA_LOCATION_ENV, "/ca.pem"),
        ])
        .expect_err("refused");
        assert_eq!(problem.variable, SSL_CA_LOCATION_ENV);
    }
}
