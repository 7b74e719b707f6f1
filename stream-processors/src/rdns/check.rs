//! Forward-confirmed reverse DNS, over any resolver: the address's PTR names, those the claimed
//! agent's operator names its crawlers with, and whether one of them resolves back to the address.

use std::net::IpAddr;

use futures::future::BoxFuture;

use super::masks::Masks;

/// What DNS said about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A PTR name matches the operator's mask and resolves back to the address.
    Verified,
    /// DNS answered, and no name of the operator's leads back to the address: no PTR, none that
    /// matches, or the matching ones resolve elsewhere (or nowhere).
    Spoofed,
    /// DNS did not answer (timeout, server failure): nothing is known, so nothing is claimed.
    Undecided,
}

/// A lookup that failed. `NotFound` is an answer (the name or record does not exist); `Failed`
/// is the lack of one. Neither carries text: resolver errors name the address's PTR name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    NotFound,
    Failed,
}

/// The two queries a check needs. The names are returned lowercase without their final dot.
pub trait Resolve: Send + Sync + 'static {
    fn ptr(&self, ip: IpAddr) -> BoxFuture<'_, Result<Vec<String>, DnsError>>;
    /// A records for an IPv4 client, AAAA for an IPv6 one.
    fn addresses<'a>(
        &'a self,
        host: &'a str,
        v6: bool,
    ) -> BoxFuture<'a, Result<Vec<IpAddr>, DnsError>>;
}

/// Matching names tried at most: a PTR set is small, and an attacker's zone could list many.
const MAX_NAMES: usize = 4;

pub async fn forward_confirmed(
    resolver: &dyn Resolve,
    masks: &Masks,
    agent: &str,
    ip: IpAddr,
) -> Outcome {
    let names = match resolver.ptr(ip).await {
        Ok(names) => names,
        // Operators that document reverse DNS give every crawler address a name.
        Err(DnsError::NotFound) => return Outcome::Spoofed,
        Err(DnsError::Failed) => return Outcome::Undecided,
    };
    let mut failed = false;
    for name in names
        .iter()
        .filter(|n| masks.matches(agent, n))
        .take(MAX_NAMES)
    {
        match resolver.addresses(name, ip.is_ipv6()).await {
            Ok(addresses) if addresses.contains(&ip) => return Outcome::Verified,
            Ok(_) | Err(DnsError::NotFound) => {}
            Err(DnsError::Failed) => failed = true,
        }
    }
    if failed {
        Outcome::Undecided
    } else {
        Outcome::Spoofed
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! An in-memory zone for unit tests.
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Default)]
    pub struct Zone {
        pub ptr: HashMap<IpAddr, Result<Vec<String>, DnsError>>,
        pub forward: HashMap<String, Result<Vec<IpAddr>, DnsError>>,
        pub queries: AtomicUsize,
    }

    impl Resolve for Zone {
        fn ptr(&self, ip: IpAddr) -> BoxFuture<'_, Result<Vec<String>, DnsError>> {
            self.queries.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .ptr
                .get(&ip)
                .cloned()
                .unwrap_or(Err(DnsError::NotFound));
            Box::pin(async move { answer })
        }

        fn addresses<'a>(
            &'a self,
            host: &'a str,
            v6: bool,
        ) -> BoxFuture<'a, Result<Vec<IpAddr>, DnsError>> {
            self.queries.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .forward
                .get(host)
                .cloned()
                .unwrap_or(Err(DnsError::NotFound))
                .map(|all| all.into_iter().filter(|a| a.is_ipv6() == v6).collect());
            Box::pin(async move { answer })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::Zone;
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn masks() -> Masks {
        let mut masks = Masks::default();
        masks
            .add("Googlebot", "crawl-***-***-***-***.googlebot.com")
            .unwrap();
        masks
    }

    fn zone() -> Zone {
        let mut zone = Zone::default();
        let name = |n: &str| Ok(vec![n.to_owned()]);
        zone.ptr
            .insert(ip("66.249.66.1"), name("crawl-66-249-66-1.googlebot.com"));
        zone.forward.insert(
            "crawl-66-249-66-1.googlebot.com".into(),
            Ok(vec![ip("66.249.66.1")]),
        );
        zone.ptr.insert(ip("203.0.113.7"), name("evil.example.com"));
        // A PTR the spoofer controls, claiming Google's name; Google's zone says otherwise.
        zone.ptr
            .insert(ip("203.0.113.8"), name("crawl-66-249-66-2.googlebot.com"));
        zone.forward.insert(
            "crawl-66-249-66-2.googlebot.com".into(),
            Ok(vec![ip("66.249.66.2")]),
        );
        zone.ptr.insert(ip("203.0.113.9"), Err(DnsError::Failed));
        zone.ptr
            .insert(ip("203.0.113.10"), name("crawl-6-6-6-6.googlebot.com"));
        zone.forward
            .insert("crawl-6-6-6-6.googlebot.com".into(), Err(DnsError::Failed));
        zone.ptr.insert(
            ip("2001:4860:4801:10::1"),
            name("crawl-2001-4860-4801-10--1.googlebot.com"),
        );
        zone
    }

    async fn check(address: &str) -> Outcome {
        forward_confirmed(&zone(), &masks(), "Googlebot", ip(address)).await
    }

    #[tokio::test]
    async fn a_name_of_the_operator_that_resolves_back_verifies() {
        assert_eq!(check("66.249.66.1").await, Outcome::Verified);
    }

    #[tokio::test]
    async fn a_foreign_name_a_forged_name_or_no_name_is_spoofed() {
        assert_eq!(check("203.0.113.7").await, Outcome::Spoofed, "foreign");
        assert_eq!(check("203.0.113.8").await, Outcome::Spoofed, "forged");
        assert_eq!(check("198.51.100.1").await, Outcome::Spoofed, "no PTR");
    }

    #[tokio::test]
    async fn dns_that_does_not_answer_decides_nothing() {
        assert_eq!(check("203.0.113.9").await, Outcome::Undecided, "PTR");
        assert_eq!(check("203.0.113.10").await, Outcome::Undecided, "forward");
    }

    #[tokio::test]
    async fn an_ipv6_claim_needs_its_aaaa_record() {
        // The name exceeds the mask's three characters per group, and has no AAAA either.
        assert_eq!(check("2001:4860:4801:10::1").await, Outcome::Spoofed);
        let mut masks = masks();
        masks.add("Googlebot", "crawl-@.googlebot.com").unwrap();
        let mut zone = zone();
        let v6 = ip("2001:4860:4801:10::1");
        zone.forward.insert(
            "crawl-2001-4860-4801-10--1.googlebot.com".into(),
            Ok(vec![ip("66.249.66.9"), v6]),
        );
        assert_eq!(
            forward_confirmed(&zone, &masks, "Googlebot", v6).await,
            Outcome::Verified
        );
    }
}
