//! The resolver the loader asks: hickory over UDP (TCP on truncation) to one configured server,
//! or the system's configuration.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::future::BoxFuture;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::{ProtoError, ProtoErrorKind};
use hickory_resolver::{Name, ResolveError, TokioResolver};

use super::check::{DnsError, Resolve};

pub struct HickoryResolver(TokioResolver);

impl HickoryResolver {
    /// Asks `server` (ip:port) only, or the servers of /etc/resolv.conf when `None`. Each query
    /// is tried once within `timeout`: the caller's cache decides when to ask again.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> anyhow::Result<Self> {
        let provider = TokioConnectionProvider::default();
        let mut builder = match server {
            Some(address) => {
                let mut config = ResolverConfig::new();
                for protocol in [Protocol::Udp, Protocol::Tcp] {
                    let mut server = NameServerConfig::new(address, protocol);
                    // One server: its NXDOMAIN is the answer, not a reason to ask elsewhere.
                    server.trust_negative_responses = true;
                    config.add_name_server(server);
                }
                TokioResolver::builder_with_config(config, provider)
            }
            None => TokioResolver::builder(provider).map_err(|e| {
                anyhow::anyhow!("the system's DNS configuration: {e}; pass --dns-server ip:port")
            })?,
        };
        let options: &mut ResolverOpts = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        // Our verdict cache is the one that matters; hickory's stays small.
        options.cache_size = 1_024;
        options.use_hosts_file = ResolveHosts::Never;
        options.ndots = 0;
        Ok(Self(builder.build()))
    }
}

/// "No such name" and "no such record" are answers; hickory reports SERVFAIL and REFUSED as
/// missing records too, but those are no answer at all.
fn dns_error(error: &ResolveError) -> DnsError {
    match error.proto().map(ProtoError::kind) {
        Some(ProtoErrorKind::NoRecordsFound {
            response_code: ResponseCode::NXDomain | ResponseCode::NoError,
            ..
        }) => DnsError::NotFound,
        _ => DnsError::Failed,
    }
}

fn host_name(name: &Name) -> String {
    let text = name.to_ascii().to_ascii_lowercase();
    text.strip_suffix('.').map(str::to_owned).unwrap_or(text)
}

impl Resolve for HickoryResolver {
    fn ptr(&self, ip: IpAddr) -> BoxFuture<'_, Result<Vec<String>, DnsError>> {
        Box::pin(async move {
            let lookup = self.0.reverse_lookup(ip).await.map_err(|e| dns_error(&e))?;
            Ok(lookup.iter().map(|ptr| host_name(&ptr.0)).collect())
        })
    }

    fn addresses<'a>(
        &'a self,
        host: &'a str,
        v6: bool,
    ) -> BoxFuture<'a, Result<Vec<IpAddr>, DnsError>> {
        Box::pin(async move {
            // Fully qualified: a search domain must not turn an operator's name into ours.
            let name = Name::from_ascii(format!("{host}.")).map_err(|_| DnsError::NotFound)?;
            if v6 {
                let lookup = self.0.ipv6_lookup(name).await.map_err(|e| dns_error(&e))?;
                Ok(lookup.iter().map(|a| IpAddr::V6(a.0)).collect())
            } else {
                let lookup = self.0.ipv4_lookup(name).await.map_err(|e| dns_error(&e))?;
                Ok(lookup.iter().map(|a| IpAddr::V4(a.0)).collect())
            }
        })
    }
}
