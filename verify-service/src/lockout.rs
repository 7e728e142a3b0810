//! Slowing down token guessing, per client address.
//!
//! Every request whose bearer token is not one of the file's is a failure
//! of the address it came from (for IPv6, of its /64: one machine usually
//! holds a whole /64). The `failures`-th failure locks the address out for
//! `lockout`; each failure after that, until the record is forgotten, locks
//! it out for twice as long as the one before — `lockout`, 2×, 4× … — never
//! longer than `max_lockout`.
//!
//! While an address is locked out, each of its requests is refused before
//! its token is looked at, a right token as well as a wrong one: a guesser
//! would otherwise learn from the answer which guess was right. A right
//! token once the lockout is over clears the address's record; a record
//! with no failure for `max_lockout` after its last failure and lockout is
//! forgotten. Other addresses are never affected, so a guesser cannot lock
//! out an investigator who works from another address.
//!
//! Memory is bounded: at most `capacity` addresses are tracked; to track a
//! new one when the table is full, forgotten records are dropped, then the
//! record whose last failure is the oldest.
//!
//! Behind a reverse proxy every request comes from the proxy's address: a
//! proxy named as trusted has the client's address read from the
//! `X-Forwarded-For` it appends to ([`client_address`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default number of wrong tokens from one address that lock it out.
pub const DEFAULT_FAILURES: u32 = 5;
/// Default first lockout.
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(10);
/// Default longest lockout (and how long a quiet address's record is kept).
pub const DEFAULT_MAX_LOCKOUT: Duration = Duration::from_secs(900);
/// Default number of addresses tracked at once.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// When wrong tokens lock an address out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Wrong tokens from one address that lock it out; 0 turns the
    /// lockouts off.
    pub failures: u32,
    /// The first lockout; each later one is twice the one before.
    pub lockout: Duration,
    /// The longest lockout.
    pub max_lockout: Duration,
    /// Addresses tracked at once.
    pub capacity: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            failures: DEFAULT_FAILURES,
            lockout: DEFAULT_LOCKOUT,
            max_lockout: DEFAULT_MAX_LOCKOUT,
            capacity: DEFAULT_CAPACITY,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Record {
    /// Wrong tokens since the record was made.
    failures: u32,
    /// The last of them.
    last: Instant,
    /// The end of the lockout (`last` or earlier when there is none).
    until: Instant,
}

/// The failures of each client address, and their lockouts.
#[derive(Debug)]
pub struct Lockouts {
    policy: Policy,
    records: Mutex<HashMap<IpAddr, Record>>,
}

/// The address a request's failures are counted against: an IPv4 address
/// (also when written as IPv4-mapped IPv6), or an IPv6 address's /64.
pub fn client_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The address a request's failures are counted against: its peer's; or,
/// when the peer is one of the `trusted` proxies, the address the proxies
/// recorded in `X-Forwarded-For`, read from the right: the first that is
/// not a trusted proxy itself. What is further left was written by the
/// client and is never read. A missing or unreadable entry leaves the last
/// trusted proxy as the client.
pub fn client_address(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |a: IpAddr| trusted.iter().any(|t| t.to_canonical() == a.to_canonical());
    if !is_trusted(peer) {
        return peer;
    }
    let mut lines = Vec::new();
    for line in headers.get_all("x-forwarded-for") {
        match line.to_str() {
            Ok(line) => lines.push(line),
            Err(_) => return peer,
        }
    }
    let mut client = peer;
    // Several header lines make one list, in order.
    for entry in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
        match forwarded_ip(entry.trim()) {
            Some(addr) => {
                client = addr;
                if !is_trusted(addr) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port (IPv6 then
/// in brackets).
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

impl Lockouts {
    /// Lockouts under `policy`.
    pub fn new(policy: Policy) -> Lockouts {
        Lockouts {
            policy,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(time left)` while `client` is locked out.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.check_at(client_key(client), Instant::now())
    }

    /// Counts a wrong token from `client`; returns the lockout it started,
    /// if it started one.
    pub fn fail(&self, client: IpAddr) -> Option<Duration> {
        self.fail_at(client_key(client), Instant::now())
    }

    /// A right token from `client` (not locked out): its record is cleared.
    pub fn succeed(&self, client: IpAddr) {
        if self.policy.failures == 0 {
            return;
        }
        self.lock().remove(&client_key(client));
    }

    /// How many addresses are tracked.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Record>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a record can be forgotten at `now`: no failure and no
    /// lockout for `max_lockout`.
    fn stale(&self, r: &Record, now: Instant) -> bool {
        now.saturating_duration_since(r.last.max(r.until)) >= self.policy.max_lockout
    }

    fn check_at(&self, key: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.policy.failures == 0 {
            return Ok(());
        }
        match self.lock().get(&key) {
            Some(r) if r.until > now => Err(r.until - now),
            _ => Ok(()),
        }
    }

    fn fail_at(&self, key: IpAddr, now: Instant) -> Option<Duration> {
        let policy = self.policy;
        if policy.failures == 0 {
            return None;
        }
        let mut records = self.lock();
        if records.get(&key).is_some_and(|r| self.stale(r, now)) {
            records.remove(&key);
        }
        if !records.contains_key(&key) && records.len() >= policy.capacity.max(1) {
            records.retain(|_, r| !self.stale(r, now));
            if records.len() >= policy.capacity.max(1) {
                let oldest = records.iter().min_by_key(|(_, r)| r.last).map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    records.remove(&oldest);
                }
            }
        }
        let r = records.entry(key).or_insert(Record {
            failures: 0,
            last: now,
            until: now,
        });
        r.failures = r.failures.saturating_add(1);
        r.last = now;
        if r.failures < policy.failures {
            return None;
        }
        // 1×, 2×, 4× … the first lockout, up to the longest.
        let doublings = (r.failures - policy.failures).min(31);
        let lockout = policy
            .lockout
            .saturating_mul(1u32 << doublings)
            .min(policy.max_lockout);
        // Two requests checked before either failed: keep the later end.
        r.until = r.until.max(now.checked_add(lockout).unwrap_or(r.until));
        Some(lockout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn policy() -> Policy {
        Policy {
            failures: 3,
            lockout: Duration::from_secs(10),
            max_lockout: Duration::from_secs(60),
            capacity: 100,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_nth_failure_locks_out_and_each_later_one_doubles_up_to_the_longest() {
        let l = Lockouts::new(policy());
        let t0 = Instant::now();
        assert_eq!(l.fail_at(A, t0), None);
        assert_eq!(l.fail_at(A, t0), None);
        assert!(l.check_at(A, t0).is_ok());
        assert_eq!(l.fail_at(A, t0), Some(secs(10)));
        assert_eq!(l.check_at(A, t0 + secs(4)), Err(secs(6)));
        // Another address is not affected.
        assert!(l.check_at(B, t0 + secs(4)).is_ok());
        // Over, then each failure doubles the lockout: 20, 40, then 60 at most.
        assert!(l.check_at(A, t0 + secs(10)).is_ok());
        let mut t = t0 + secs(10);
        for expected in [20, 40, 60, 60] {
            assert_eq!(l.fail_at(A, t), Some(secs(expected)));
            assert_eq!(l.check_at(A, t), Err(secs(expected)));
            t += secs(expected);
        }
        // However many failures: never longer than the longest, no overflow.
        for _ in 0..100 {
            assert_eq!(l.fail_at(A, t), Some(secs(60)));
        }
        assert_eq!(l.check_at(A, t + secs(1)), Err(secs(59)));
    }

    #[test]
    fn a_right_token_clears_and_a_quiet_address_is_forgotten() {
        let l = Lockouts::new(policy());
        let t0 = Instant::now();
        l.fail_at(A, t0);
        l.fail_at(A, t0);
        l.succeed(A);
        assert!(l.is_empty());
        // Counting starts over.
        assert_eq!(l.fail_at(A, t0), None);
        assert_eq!(l.fail_at(A, t0), None);
        assert_eq!(l.fail_at(A, t0), Some(secs(10)));
        // Quiet for the longest lockout after the lockout ended: forgotten,
        // so the next failure is the first again.
        let later = t0 + secs(10) + secs(60);
        assert_eq!(l.fail_at(A, later), None);
        assert_eq!(l.fail_at(A, later), None);
        assert_eq!(l.fail_at(A, later), Some(secs(10)));
        // Not quiet for long enough: the record is kept and doubles.
        let b = t0 + secs(10) + secs(59);
        for _ in 0..3 {
            l.fail_at(B, t0);
        }
        assert_eq!(l.fail_at(B, b), Some(secs(20)));
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_is_dropped() {
        let l = Lockouts::new(Policy {
            capacity: 4,
            ..policy()
        });
        let t0 = Instant::now();
        let addr = |i: u8| IpAddr::V4(Ipv4Addr::new(198, 51, 100, i));
        for _ in 0..3 {
            l.fail_at(addr(0), t0);
        }
        assert!(l.check_at(addr(0), t0).is_err());
        for i in 1..=200u8 {
            l.fail_at(addr(i), t0 + secs(u64::from(i)));
            assert!(l.len() <= 4);
        }
        // The first, oldest, was dropped; the newest are kept.
        assert!(l.check_at(addr(0), t0).is_ok());
        assert_eq!(l.len(), 4);
        for i in 197..=200u8 {
            l.fail_at(addr(i), t0 + secs(201));
            assert_eq!(l.fail_at(addr(i), t0 + secs(201)), Some(secs(10)));
        }
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = Lockouts::new(policy());
        let t0 = Instant::now();
        for host in 1..=3u16 {
            let a: IpAddr = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host).into();
            l.fail_at(client_key(a), t0);
        }
        let same_64: IpAddr = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9).into();
        let other_64: IpAddr = Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1).into();
        assert!(l.check_at(client_key(same_64), t0).is_err());
        assert!(l.check_at(client_key(other_64), t0).is_ok());
        let mapped: IpAddr = Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped().into();
        assert_eq!(client_key(mapped), A);
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies_and_from_the_right() {
        let proxy: IpAddr = Ipv4Addr::LOCALHOST.into();
        let trusted = [proxy, "2001:db8::1".parse().unwrap()];
        let client = |peer: IpAddr, lines: &[&str]| {
            let mut headers = axum::http::HeaderMap::new();
            for line in lines {
                headers.append("x-forwarded-for", line.parse().unwrap());
            }
            client_address(peer, &headers, &trusted)
        };
        // A peer that is not a trusted proxy is the client, whatever it says.
        assert_eq!(client(A, &["192.0.2.9"]), A);
        // From the proxy: the address it appended, not what the client wrote.
        assert_eq!(client(proxy, &["192.0.2.2"]), B);
        assert_eq!(client(proxy, &["198.51.100.7, 192.0.2.2"]), B);
        assert_eq!(client(proxy, &["10.9.9.9", "192.0.2.2"]), B);
        // Through two trusted proxies.
        assert_eq!(client(proxy, &["192.0.2.2, 2001:db8::1"]), B);
        assert_eq!(client(proxy, &["192.0.2.2:4711"]), B);
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        assert_eq!(client(proxy, &["[2001:db8::7]:443"]), v6);
        assert_eq!(client(proxy, &["[2001:db8::7]"]), v6);
        // Nothing readable: the proxy is the client.
        assert_eq!(client(proxy, &[]), proxy);
        assert_eq!(client(proxy, &["unknown"]), proxy);
        assert_eq!(client(proxy, &["192.0.2.2, unknown"]), proxy);
        // Mapped IPv4 names the same proxy.
        let mapped: IpAddr = Ipv4Addr::LOCALHOST.to_ipv6_mapped().into();
        assert_eq!(client(mapped, &["192.0.2.1"]), A);
    }

    #[test]
    fn zero_failures_turns_it_off() {
        let l = Lockouts::new(Policy {
            failures: 0,
            ..policy()
        });
        let t0 = Instant::now();
        for _ in 0..50 {
            assert_eq!(l.fail_at(A, t0), None);
        }
        assert!(l.check_at(A, t0).is_ok());
        assert!(l.is_empty());
    }
}
