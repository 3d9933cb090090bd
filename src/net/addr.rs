//! [`ToSocketAddrs`] and [`lookup_host`]: turning what users write into socket addresses.
//!
//! Each implementation first says what it can without asking anyone ([`Target::Ready`]: a socket
//! address, an IP literal with a port); only a host name becomes a [`Target::Lookup`], which runs
//! `std`'s resolver on the blocking pool.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Something that names one or more socket addresses: the argument of every `bind`, `connect`
/// and `send_to` in [`evloop::net`](crate::net), and of [`lookup_host`].
///
/// It is implemented for what `std::net::ToSocketAddrs` is implemented for:
///
/// | type | example | resolved |
/// |---|---|---|
/// | [`SocketAddr`], [`SocketAddrV4`], [`SocketAddrV6`] | `"127.0.0.1:80".parse()?` | as is |
/// | `(IpAddr, u16)`, `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)` | `(Ipv4Addr::LOCALHOST, 80)` | as is |
/// | `(&str, u16)`, `(String, u16)` | `("localhost", 80)`, `("::1", 80)` | IP literal: in place; host name: DNS |
/// | `&str`, `String` | `"example.com:443"`, `"[::1]:80"` | socket address literal: in place; `host:port`: DNS |
/// | `&[SocketAddr]` | `&addrs[..]` | as is, in order |
///
/// and for references to any of these. Host names are resolved by the system resolver on the
/// blocking pool ([`spawn_blocking`](crate::task::spawn_blocking)), never on a worker thread;
/// literals never leave the calling task.
///
/// The trait is sealed: its method is private to evloop, and it cannot be implemented outside.
///
/// ```
/// use evloop::net::TcpListener;
/// use std::net::{Ipv4Addr, SocketAddr};
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     let a = TcpListener::bind("127.0.0.1:0").await?;
///     let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
///     let c = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
///     let d = TcpListener::bind(("127.0.0.1", 0)).await?;
///     for listener in [a, b, c, d] {
///         assert!(listener.local_addr()?.ip().is_loopback());
///     }
///     Ok(())
/// })
/// # }
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    //! The sealed part of [`ToSocketAddrs`](super::ToSocketAddrs). The items are `pub` only so
    //! that they may appear in the public trait's bounds; this module is not reachable from
    //! outside the crate.
    #![allow(unreachable_pub)]

    use super::Target;

    /// The method behind [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// The addresses, or the query that will find them.
        fn to_target(&self) -> Target;
    }
}

/// What a [`ToSocketAddrs`] value stands for, before any lookup.
#[allow(unreachable_pub)] // named by the sealed trait only
#[derive(Debug)]
pub enum Target {
    /// The addresses are known (or the value is known to be invalid).
    Ready(io::Result<Addrs>),
    /// A host name must be resolved.
    Lookup(Query),
}

/// A host name to resolve with the system resolver.
#[allow(unreachable_pub)] // named by the sealed trait only
#[derive(Debug)]
pub enum Query {
    /// `"host:port"`, as written.
    HostPort(String),
    /// A host name and a port.
    Host(String, u16),
}

impl Query {
    /// Runs the system resolver. Blocks: call it on the blocking pool.
    fn run(self) -> io::Result<Addrs> {
        let found = match self {
            Query::HostPort(text) => std::net::ToSocketAddrs::to_socket_addrs(text.as_str())?,
            Query::Host(host, port) => {
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))?
            }
        };
        Ok(Addrs::many(found.collect()))
    }
}

/// Resolves `target` into its socket addresses: at once for literals, on the blocking pool for
/// host names.
pub(crate) async fn resolve(target: &impl ToSocketAddrs) -> io::Result<Addrs> {
    match target.to_target() {
        Target::Ready(addrs) => addrs,
        Target::Lookup(query) => crate::task::spawn_blocking(move || query.run()).await?,
    }
}

/// Tries `attempt` with each address `target` resolves to, in order; returns the first success,
/// or the last failure, or (like `std`) an `InvalidInput` error if there was no address at all.
pub(crate) async fn try_each<T, F, Fut>(
    target: &impl ToSocketAddrs,
    mut attempt: F,
) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last_error = None;
    for addr in resolve(target).await? {
        match attempt(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(no_addresses))
}

/// The error for a target that resolved to no address.
pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any addresses",
    )
}

/// Resolves `host` into socket addresses: what `std::net::ToSocketAddrs::to_socket_addrs` does,
/// without blocking the calling thread.
///
/// Literal addresses are returned at once; host names are resolved by the system resolver on the
/// blocking pool. The port is part of the argument (`"example.com:80"`, `("example.com", 80)`)
/// and is copied into every address found.
///
/// # Errors
/// If `host` is not a valid address or `host:port` pair, or the resolver fails (an unknown
/// name, no network).
///
/// ```
/// use evloop::net::lookup_host;
///
/// # fn main() -> std::io::Result<()> {
/// evloop::block_on(async {
///     for addr in lookup_host("localhost:8080").await? {
///         assert!(addr.ip().is_loopback());
///         assert_eq!(addr.port(), 8080);
///     }
///     let literal: Vec<_> = lookup_host(("::1", 53)).await?.collect();
///     assert_eq!(literal, ["[::1]:53".parse().unwrap()]);
///     Ok(())
/// })
/// # }
/// ```
pub async fn lookup_host(
    host: impl ToSocketAddrs,
) -> io::Result<impl Iterator<Item = SocketAddr> + fmt::Debug> {
    resolve(&host).await
}

// ===== Addrs =====

/// The addresses a target resolved to, in the resolver's order.
#[allow(unreachable_pub)] // named by the sealed trait only
pub struct Addrs(AddrsInner);

enum AddrsInner {
    /// The common case of one address, without an allocation.
    One(Option<SocketAddr>),
    Many(std::vec::IntoIter<SocketAddr>),
}

impl Addrs {
    fn one(addr: SocketAddr) -> Addrs {
        Addrs(AddrsInner::One(Some(addr)))
    }

    fn many(addrs: Vec<SocketAddr>) -> Addrs {
        Addrs(AddrsInner::Many(addrs.into_iter()))
    }
}

impl Iterator for Addrs {
    type Item = SocketAddr;

    fn next(&mut self) -> Option<SocketAddr> {
        match &mut self.0 {
            AddrsInner::One(addr) => addr.take(),
            AddrsInner::Many(addrs) => addrs.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            AddrsInner::One(addr) => {
                let n = usize::from(addr.is_some());
                (n, Some(n))
            }
            AddrsInner::Many(addrs) => addrs.size_hint(),
        }
    }
}

impl fmt::Debug for Addrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: &[SocketAddr] = match &self.0 {
            AddrsInner::One(addr) => addr.as_slice(),
            AddrsInner::Many(addrs) => addrs.as_slice(),
        };
        f.debug_tuple("Addrs").field(&list).finish()
    }
}

// ===== Implementations =====

/// Implements the trait for types that always hold exactly one socket address.
macro_rules! single_address {
    ($($ty:ty),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}

        impl sealed::ToSocketAddrsPriv for $ty {
            fn to_target(&self) -> Target {
                Target::Ready(Ok(Addrs::one(SocketAddr::from(*self))))
            }
        }
    )*};
}

single_address!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
);

impl ToSocketAddrs for (&str, u16) {}

impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn to_target(&self) -> Target {
        host_and_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}

impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn to_target(&self) -> Target {
        host_and_port(&self.0, self.1)
    }
}

/// An IP literal with a port is ready; anything else is a host name to look up.
fn host_and_port(host: &str, port: u16) -> Target {
    match host.parse::<IpAddr>() {
        Ok(ip) => Target::Ready(Ok(Addrs::one(SocketAddr::new(ip, port)))),
        Err(_) => Target::Lookup(Query::Host(host.to_owned(), port)),
    }
}

impl ToSocketAddrs for str {}

impl sealed::ToSocketAddrsPriv for str {
    fn to_target(&self) -> Target {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Target::Ready(Ok(Addrs::one(addr))),
            Err(_) => Target::Lookup(Query::HostPort(self.to_owned())),
        }
    }
}

impl ToSocketAddrs for String {}

impl sealed::ToSocketAddrsPriv for String {
    fn to_target(&self) -> Target {
        self.as_str().to_target()
    }
}

impl ToSocketAddrs for [SocketAddr] {}

impl sealed::ToSocketAddrsPriv for [SocketAddr] {
    fn to_target(&self) -> Target {
        Target::Ready(Ok(Addrs::many(self.to_vec())))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_target(&self) -> Target {
        (**self).to_target()
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::ToSocketAddrsPriv;
    use super::*;

    fn ready<T: ToSocketAddrs + ?Sized>(target: &T) -> Vec<SocketAddr> {
        match target.to_target() {
            Target::Ready(addrs) => addrs.unwrap().collect(),
            Target::Lookup(query) => panic!("expected a literal, got a lookup of {query:?}"),
        }
    }

    #[test]
    fn literals_need_no_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(ready(&"127.0.0.1:80"), [v4]);
        assert_eq!(ready(&String::from("[::1]:80")), [v6]);
        assert_eq!(ready(&("127.0.0.1", 80)), [v4]);
        assert_eq!(ready(&("::1".to_string(), 80)), [v6]);
        assert_eq!(ready(&(Ipv4Addr::LOCALHOST, 80)), [v4]);
        assert_eq!(ready(&(IpAddr::V6(Ipv6Addr::LOCALHOST), 80)), [v6]);
        assert_eq!(ready(&v4), [v4]);
        assert_eq!(ready(&&&v6), [v6]);
        assert_eq!(ready(&[v4, v6][..]), [v4, v6]);
        assert_eq!(ready("[::1]:80"), [v6]);
    }

    #[test]
    fn names_are_looked_up() {
        for target in ["localhost:80".to_target(), ("localhost", 80).to_target()] {
            assert!(matches!(target, Target::Lookup(_)), "{target:?}");
        }
    }
}
