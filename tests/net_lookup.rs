//! `evloop::net::lookup_host` and the `ToSocketAddrs` forms: names through the system resolver
//! on the blocking pool, literals without leaving the task.

#[macro_use]
mod util;

use std::future::Future;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use evloop::net::lookup_host;

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    pin!(future).poll(&mut Context::from_waker(&noop_waker()))
}

fn noop_waker() -> Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    Waker::from(std::sync::Arc::new(Noop))
}

rt_test! {
    fn localhost_resolves_to_loopback_with_the_port(rt) {
        rt.block_on(async {
            for addrs in [
                lookup_host("localhost:4321").await.unwrap().collect::<Vec<_>>(),
                lookup_host(("localhost", 4321)).await.unwrap().collect(),
                lookup_host(("localhost".to_string(), 4321)).await.unwrap().collect(),
                lookup_host(String::from("localhost:4321")).await.unwrap().collect(),
            ] {
                assert!(!addrs.is_empty());
                for addr in addrs {
                    assert!(addr.ip().is_loopback(), "{addr}");
                    assert_eq!(addr.port(), 4321);
                }
            }
        });
    }

    fn literals_resolve_to_themselves(rt) {
        rt.block_on(async {
            let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 80));
            let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 443));
            let one = |addrs: Vec<SocketAddr>| -> SocketAddr {
                assert_eq!(addrs.len(), 1, "{addrs:?}");
                addrs[0]
            };
            assert_eq!(one(lookup_host("127.0.0.1:80").await.unwrap().collect()), v4);
            assert_eq!(one(lookup_host("[::1]:443").await.unwrap().collect()), v6);
            assert_eq!(one(lookup_host(("127.0.0.1", 80)).await.unwrap().collect()), v4);
            assert_eq!(one(lookup_host(("::1", 443)).await.unwrap().collect()), v6);
            assert_eq!(one(lookup_host((IpAddr::from([127, 0, 0, 1]), 80)).await.unwrap().collect()), v4);
            assert_eq!(one(lookup_host((Ipv6Addr::LOCALHOST, 443)).await.unwrap().collect()), v6);
            assert_eq!(one(lookup_host(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)).await.unwrap().collect()), v4);
            assert_eq!(one(lookup_host(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0, 0)).await.unwrap().collect()), v6);
            assert_eq!(one(lookup_host(v4).await.unwrap().collect()), v4);
            let both: Vec<_> = lookup_host(&[v4, v6][..]).await.unwrap().collect();
            assert_eq!(both, [v4, v6]);
        });
    }

    fn malformed_targets_are_errors(rt) {
        rt.block_on(async {
            // No port.
            let error = lookup_host("localhost").await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
            // A port that is not a number.
            let error = lookup_host("localhost:http").await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
            // An empty list resolves to nothing, which is not an error for lookup_host.
            assert_eq!(lookup_host(&[][..]).await.unwrap().count(), 0);
        });
    }
}

/// Literals never go to the blocking pool: the lookup completes in its first poll, even
/// outside any runtime.
#[test]
fn literal_lookups_complete_in_one_poll() {
    for target in ["127.0.0.1:1", "[::1]:2"] {
        match poll_once(lookup_host(target)) {
            Poll::Ready(result) => assert_eq!(result.unwrap().count(), 1),
            Poll::Pending => panic!("{target}: a literal should not wait"),
        }
    }
    match poll_once(lookup_host(("::1", 3))) {
        Poll::Ready(result) => assert_eq!(result.unwrap().count(), 1),
        Poll::Pending => panic!("a literal should not wait"),
    }
}

/// A name lookup on a current-thread runtime (whose one thread runs every task) goes to the
/// blocking pool and comes back; other tasks run meanwhile.
#[evloop::test]
async fn name_lookup_on_a_current_thread_runtime() {
    let ticker = evloop::spawn(async {
        for _ in 0..3 {
            evloop::task::yield_now().await;
        }
        "ticked"
    });
    let addrs: Vec<_> = lookup_host("localhost:9").await.unwrap().collect();
    assert!(addrs
        .iter()
        .all(|addr| addr.ip().is_loopback() && addr.port() == 9));
    assert_eq!(ticker.await.unwrap(), "ticked");
}
