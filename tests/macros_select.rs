//! `evloop::select!`: branch syntax, fairness, `biased;`, preconditions, pattern mismatches,
//! `else`, dropping the losing futures, and use from foreign executors.

use std::future::{pending, ready, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use evloop::sync::{mpsc, oneshot};

/// A future that counts its drops and is ready with `value` after `pending_polls` polls.
struct Tracked {
    drops: Arc<AtomicUsize>,
    pending_polls: usize,
    value: u32,
}

impl Tracked {
    fn new(drops: &Arc<AtomicUsize>, pending_polls: usize, value: u32) -> Tracked {
        Tracked {
            drops: drops.clone(),
            pending_polls,
            value,
        }
    }
}

impl Future for Tracked {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.pending_polls == 0 {
            Poll::Ready(self.value)
        } else {
            self.pending_polls -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[evloop::test]
async fn first_ready_branch_wins_and_its_handler_runs() {
    let (tx, rx) = oneshot::channel();
    tx.send(5).unwrap();
    let out = evloop::select! {
        v = rx => v.unwrap() * 2,
        _ = pending::<()>() => unreachable!(),
    };
    assert_eq!(out, 10);
}

#[evloop::test]
async fn unbiased_select_is_fair_between_two_ready_branches() {
    let mut wins = [0u32; 2];
    for _ in 0..1_000 {
        evloop::select! {
            _ = ready(()) => wins[0] += 1,
            _ = ready(()) => wins[1] += 1,
        }
    }
    assert_eq!(wins[0] + wins[1], 1_000);
    assert!(wins[0] > 100 && wins[1] > 100, "{wins:?}");
}

#[evloop::test]
async fn unbiased_select_is_fair_among_four_branches() {
    let mut wins = [0u32; 4];
    for _ in 0..2_000 {
        let i = evloop::select! {
            a = ready(0) => a,
            b = ready(1) => b,
            c = ready(2) => c,
            d = ready(3) => d,
        };
        wins[i] += 1;
    }
    assert!(wins.iter().all(|&w| w > 200), "{wins:?}");
}

#[evloop::test]
async fn biased_select_always_takes_the_first_ready_branch() {
    for _ in 0..1_000 {
        let out = evloop::select! {
            biased;
            a = ready(1) => a,
            b = ready(2) => b,
        };
        assert_eq!(out, 1);
    }
    // Disabled first branch: the second wins.
    let out = evloop::select! {
        biased;
        a = ready(1), if false => a,
        b = ready(2) => b,
    };
    assert_eq!(out, 2);
}

#[evloop::test]
async fn losing_futures_are_dropped_before_the_handler_runs() {
    let drops = Arc::new(AtomicUsize::new(0));
    let seen = drops.clone();
    let out = evloop::select! {
        a = Tracked::new(&drops, 100, 1) => a,
        b = Tracked::new(&drops, 0, 2) => {
            // All three futures are gone by now: the winner and both losers.
            assert_eq!(seen.load(Ordering::SeqCst), 3);
            b
        }
        c = Tracked::new(&drops, 100, 3) => c,
    };
    assert_eq!(out, 2);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

#[evloop::test]
async fn the_else_branch_runs_when_every_branch_is_disabled() {
    let polled = Arc::new(AtomicUsize::new(0));
    let out = evloop::select! {
        _ = async { polled.fetch_add(1, Ordering::SeqCst) }, if false => "a",
        _ = async { polled.fetch_add(1, Ordering::SeqCst) }, if 1 > 2 => "b",
        else => "else",
    };
    assert_eq!(out, "else");
    assert_eq!(
        polled.load(Ordering::SeqCst),
        0,
        "disabled futures are never polled"
    );
}

#[evloop::test]
async fn a_pattern_mismatch_disables_the_branch() {
    let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
    drop(tx);
    // `rx.recv()` completes with `None`, which does not match `Some(_)`: the other branch wins
    // even though it needs several polls.
    let drops = Arc::new(AtomicUsize::new(0));
    let out = evloop::select! {
        Some(v) = rx.recv() => v,
        v = Tracked::new(&drops, 3, 7) => v,
    };
    assert_eq!(out, 7);
}

#[evloop::test]
async fn all_mismatches_fall_to_else() {
    let out = evloop::select! {
        Some(v) = ready(None::<u8>) => v as i32,
        Ok(v) = ready(Err::<u8, ()>(())) => v as i32,
        else => -1,
    };
    assert_eq!(out, -1);
}

#[evloop::test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
async fn all_disabled_without_else_panics() {
    evloop::select! {
        Some(v) = ready(None::<u8>) => { let _ = v; }
        _ = ready(()), if false => {}
    }
}

#[evloop::test]
async fn preconditions_are_evaluated_before_the_futures_and_every_future_is_created() {
    let order = std::cell::RefCell::new(Vec::new());
    let make = |name: &'static str| {
        order.borrow_mut().push(name);
        ready(name)
    };
    let cond = |name: &'static str, value: bool| {
        order.borrow_mut().push(name);
        value
    };
    let out = evloop::select! {
        biased;
        a = make("fut a"), if cond("cond a", false) => a,
        b = make("fut b"), if cond("cond b", true) => b,
    };
    assert_eq!(out, "fut b");
    assert_eq!(*order.borrow(), ["cond a", "cond b", "fut a", "fut b"]);
}

#[evloop::test]
async fn handlers_can_break_continue_and_return_in_the_caller() {
    async fn first_even(values: Vec<u32>) -> (Option<u32>, u32) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for v in values {
            tx.send(v).unwrap();
        }
        drop(tx);
        let mut odd = 0;
        loop {
            evloop::select! {
                v = rx.recv() => match v {
                    Some(v) if v % 2 == 0 => return (Some(v), odd),
                    Some(_) => { odd += 1; continue }
                    None => break,
                },
            }
        }
        (None, odd)
    }
    assert_eq!(first_even(vec![1, 3, 4, 5]).await, (Some(4), 2));
    assert_eq!(first_even(vec![1, 3]).await, (None, 2));

    async fn fails() -> Result<u8, std::num::ParseIntError> {
        let n = evloop::select! {
            n = async { "x".parse::<u8>() } => n?,
        };
        Ok(n)
    }
    assert!(fails().await.is_err());
}

#[evloop::test]
async fn patterns_with_bindings_modes_and_nesting() {
    #[derive(Debug)]
    struct Point {
        x: String,
        y: u32,
    }
    let out = evloop::select! {
        Some(mut s) = ready(Some(String::from("a"))) => { s.push('b'); s }
    };
    assert_eq!(out, "ab");

    let out = evloop::select! {
        (ref a, [b, _], Point { ref mut x, y: 3 }) =
            ready((String::from("k"), [1, 2], Point { x: "p".into(), y: 3 })) => {
            x.push('!');
            format!("{a}{b}{x}")
        }
    };
    assert_eq!(out, "k1p!");

    let out = evloop::select! {
        Ok(1 | 2) | Err(_) = ready(Ok::<u8, ()>(2)) => "matched",
        else => "no",
    };
    assert_eq!(out, "matched");

    let out = evloop::select! {
        x @ 1..=5 = ready(3) => x,
        else => 0,
    };
    assert_eq!(out, 3);
}

#[evloop::test]
async fn a_future_reused_across_iterations_by_reference() {
    let mut sleep = pin!(evloop::time::sleep(Duration::from_millis(20)));
    let mut ticks = 0;
    loop {
        evloop::select! {
            _ = &mut sleep => break,
            _ = evloop::time::sleep(Duration::from_millis(1)) => ticks += 1,
        }
    }
    assert!(ticks >= 1);
}

#[evloop::test]
async fn into_future_values_are_accepted() {
    struct Later(u8);
    impl std::future::IntoFuture for Later {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            ready(self.0)
        }
    }
    let out = evloop::select! { v = Later(9) => v };
    assert_eq!(out, 9);
}

#[evloop::test]
async fn trailing_commas_and_block_handlers() {
    let a = evloop::select! {
        v = ready(1) => { v }
    };
    let b = evloop::select! {
        v = ready(2) => { v },
    };
    let c = evloop::select! {
        v = ready(3) => v
    };
    let d = evloop::select! {
        _ = pending::<()>() => { 0 }
        v = ready(4) => v,
        else => { 5 }
    };
    assert_eq!((a, b, c, d), (1, 2, 3, 4));
}

#[evloop::test]
async fn a_select_with_only_else() {
    let v = evloop::select! { else => 3 };
    assert_eq!(v, 3);
}

#[evloop::test]
async fn ten_branches() {
    let mut wins = [0u32; 10];
    for _ in 0..1_000 {
        let i: usize = evloop::select! {
            a = ready(0) => a, b = ready(1) => b, c = ready(2) => c, d = ready(3) => d,
            e = ready(4) => e, f = ready(5) => f, g = ready(6) => g, h = ready(7) => h,
            i = ready(8) => i, j = ready(9) => j,
        };
        wins[i] += 1;
    }
    assert!(wins.iter().all(|&w| w > 30), "{wins:?}");
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_between_channels_on_multi_thread() {
    let (tx_a, mut rx_a) = mpsc::channel::<u32>(4);
    let (tx_b, mut rx_b) = mpsc::channel::<u32>(4);
    evloop::spawn(async move {
        for i in 0..500 {
            tx_a.send(i).await.unwrap();
        }
    });
    evloop::spawn(async move {
        for i in 0..500 {
            tx_b.send(i).await.unwrap();
        }
    });
    let (mut a, mut b) = (0u32, 0u32);
    loop {
        evloop::select! {
            Some(v) = rx_a.recv() => a += v,
            Some(v) = rx_b.recv() => b += v,
            else => break,
        }
    }
    assert_eq!((a, b), (124_750, 124_750));
}

#[test]
fn select_on_a_foreign_executor() {
    let drops = Arc::new(AtomicUsize::new(0));
    let out = futures_lite::future::block_on(async {
        evloop::select! {
            a = Tracked::new(&drops, 2, 1) => a,
            b = Tracked::new(&drops, 50, 2) => b,
        }
    });
    assert_eq!(out, 1);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn select_future_is_send_when_its_parts_are() {
    fn assert_send<T: Send>(_: &T) {}
    let fut = async {
        let (_tx, rx) = oneshot::channel::<u8>();
        evloop::select! {
            v = rx => v.ok(),
            _ = evloop::time::sleep(Duration::from_millis(1)) => None,
        }
    };
    assert_send(&fut);
}

#[evloop::test]
async fn sixty_four_branches() {
    let mut wins = [0u32; 64];
    for _ in 0..6_400 {
        let i = evloop::select! {
            v = ready(0usize) => v,
            v = ready(1usize) => v,
            v = ready(2usize) => v,
            v = ready(3usize) => v,
            v = ready(4usize) => v,
            v = ready(5usize) => v,
            v = ready(6usize) => v,
            v = ready(7usize) => v,
            v = ready(8usize) => v,
            v = ready(9usize) => v,
            v = ready(10usize) => v,
            v = ready(11usize) => v,
            v = ready(12usize) => v,
            v = ready(13usize) => v,
            v = ready(14usize) => v,
            v = ready(15usize) => v,
            v = ready(16usize) => v,
            v = ready(17usize) => v,
            v = ready(18usize) => v,
            v = ready(19usize) => v,
            v = ready(20usize) => v,
            v = ready(21usize) => v,
            v = ready(22usize) => v,
            v = ready(23usize) => v,
            v = ready(24usize) => v,
            v = ready(25usize) => v,
            v = ready(26usize) => v,
            v = ready(27usize) => v,
            v = ready(28usize) => v,
            v = ready(29usize) => v,
            v = ready(30usize) => v,
            v = ready(31usize) => v,
            v = ready(32usize) => v,
            v = ready(33usize) => v,
            v = ready(34usize) => v,
            v = ready(35usize) => v,
            v = ready(36usize) => v,
            v = ready(37usize) => v,
            v = ready(38usize) => v,
            v = ready(39usize) => v,
            v = ready(40usize) => v,
            v = ready(41usize) => v,
            v = ready(42usize) => v,
            v = ready(43usize) => v,
            v = ready(44usize) => v,
            v = ready(45usize) => v,
            v = ready(46usize) => v,
            v = ready(47usize) => v,
            v = ready(48usize) => v,
            v = ready(49usize) => v,
            v = ready(50usize) => v,
            v = ready(51usize) => v,
            v = ready(52usize) => v,
            v = ready(53usize) => v,
            v = ready(54usize) => v,
            v = ready(55usize) => v,
            v = ready(56usize) => v,
            v = ready(57usize) => v,
            v = ready(58usize) => v,
            v = ready(59usize) => v,
            v = ready(60usize) => v,
            v = ready(61usize) => v,
            v = ready(62usize) => v,
            v = ready(63usize) => v,
        };
        wins[i] += 1;
    }
    assert!(wins.iter().all(|&w| w > 20), "{wins:?}");
}
