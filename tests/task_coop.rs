//! The poll budget seen from user code: `consume_budget` makes a busy loop yield, and
//! `unconstrained` lifts the budget for one future.

#[macro_use]
mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use evloop::sync::mpsc;
use evloop::task::{consume_budget, unconstrained, yield_now};

/// How many messages the channel tests send: several budgets' worth.
const MESSAGES: usize = 1_000;

/// Receives every message of `rx` and returns how far `ticks` moved meanwhile.
async fn drain(mut rx: mpsc::UnboundedReceiver<usize>, ticks: Arc<AtomicUsize>) -> usize {
    let before = ticks.load(Ordering::SeqCst);
    let mut count = 0;
    while rx.recv().await.is_some() {
        count += 1;
    }
    assert_eq!(count, MESSAGES);
    ticks.load(Ordering::SeqCst) - before
}

/// A task that counts its polls until `stop` is set.
async fn ticker(ticks: Arc<AtomicUsize>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        ticks.fetch_add(1, Ordering::SeqCst);
        yield_now().await;
    }
}

/// Runs [`drain`] in a task next to a [`ticker`] on a current-thread runtime, the receiving loop
/// wrapped in `unconstrained` or not; returns the ticks that happened during it.
fn ticks_during_drain(wrap: bool) -> usize {
    util::with_watchdog(move || {
        let rt = evloop::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (tx, rx) = mpsc::unbounded_channel();
            for i in 0..MESSAGES {
                tx.send(i).unwrap();
            }
            drop(tx);
            let ticks = Arc::new(AtomicUsize::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let ticking = evloop::spawn(ticker(ticks.clone(), stop.clone()));
            let moved = if wrap {
                evloop::spawn(unconstrained(drain(rx, ticks)))
                    .await
                    .unwrap()
            } else {
                evloop::spawn(drain(rx, ticks)).await.unwrap()
            };
            stop.store(true, Ordering::SeqCst);
            ticking.await.unwrap();
            moved
        })
    })
}

/// With the budget, a receiving loop over an always-ready channel yields every 128 messages, so
/// the other task runs in between; `unconstrained` receives all of them in one poll.
#[test]
fn unconstrained_lifts_the_budget() {
    assert!(
        ticks_during_drain(false) >= 1,
        "a budgeted loop over 1,000 ready messages must yield"
    );
    assert_eq!(
        ticks_during_drain(true),
        0,
        "an unconstrained loop must not yield"
    );
}

rt_test! {
    /// A loop that touches no evloop resource but calls `consume_budget` yields to the other
    /// tasks: on a current-thread runtime the flag it waits for is set by another task, so
    /// without yielding it would spin forever. (On a multi-thread runtime another worker may run
    /// that task before the loop's first check, so the loop may not run at all there.)
    fn consume_budget_lets_other_tasks_run(rt) {
        let one_thread =
            rt.handle().runtime_flavor() == evloop::runtime::RuntimeFlavor::CurrentThread;
        rt.block_on(async move {
            let spinner = evloop::spawn(async {
                let flag = Arc::new(AtomicBool::new(false));
                // Spawned from inside the loop's task, so on one thread it can only run once
                // the loop yields.
                let setter = {
                    let flag = flag.clone();
                    evloop::spawn(async move { flag.store(true, Ordering::SeqCst) })
                };
                let mut rounds = 0u64;
                while !flag.load(Ordering::SeqCst) {
                    rounds += 1;
                    consume_budget().await;
                }
                setter.await.unwrap();
                rounds
            });
            let rounds = spinner.await.unwrap();
            if one_thread {
                assert!(rounds >= 1, "the setter ran before the loop on one thread");
            }
        });
    }
}
