//! Paused time: timers fire in virtual time, instantly and deterministically.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::runtime::Builder;
use evloop::time::{self, sleep, timeout};

#[evloop::test(start_paused = true)]
async fn one_hour_sleep_in_paused_time_takes_no_real_time() {
    let real = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    // A generous bound that only fails if the hour were actually waited for.
    assert!(
        real.elapsed() < Duration::from_secs(60),
        "{:?}",
        real.elapsed()
    );
}

#[evloop::test(start_paused = true)]
async fn timers_fire_in_deadline_order() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for secs in [30u64, 10, 20, 5, 3600] {
        let order = order.clone();
        handles.push(evloop::spawn(async move {
            sleep(Duration::from_secs(secs)).await;
            order.lock().unwrap().push(secs);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![5, 10, 20, 30, 3600]);
}

#[evloop::test]
async fn advance_fires_due_timers_only() {
    time::pause();
    let fired = Arc::new(AtomicUsize::new(0));
    for secs in [1u64, 2, 3] {
        let fired = fired.clone();
        evloop::spawn(async move {
            sleep(Duration::from_secs(secs)).await;
            fired.fetch_add(1, Ordering::SeqCst);
        });
    }
    evloop::task::yield_now().await; // let them register
    time::advance(Duration::from_millis(1500)).await;
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    time::advance(Duration::from_secs(2)).await;
    assert_eq!(fired.load(Ordering::SeqCst), 3);
}

#[evloop::test(start_paused = true)]
async fn timeout_elapses_in_virtual_time() {
    let real = Instant::now();
    let result = timeout(Duration::from_secs(86_400), std::future::pending::<()>()).await;
    assert!(result.is_err());
    assert!(real.elapsed() < Duration::from_secs(60));
}

#[evloop::test(start_paused = true)]
async fn interval_ticks_in_virtual_time() {
    let mut ticks = time::interval(Duration::from_secs(60));
    for _ in 0..100 {
        ticks.tick().await;
    }
}

#[evloop::test]
async fn resume_lets_the_clock_run_again() {
    time::pause();
    sleep(Duration::from_secs(10)).await;
    time::resume();
    let real = Instant::now();
    sleep(Duration::from_millis(5)).await;
    assert!(real.elapsed() >= Duration::from_millis(5));
}

#[test]
fn start_paused_on_multi_thread_is_an_error() {
    let err = Builder::new_multi_thread()
        .start_paused(true)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn pause_outside_current_thread_runtime_panics_clearly() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let err = rt
        .block_on(evloop::spawn(async { time::pause() }))
        .unwrap_err();
    let msg = err.into_panic();
    let msg = msg.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("current_thread"), "{msg}");
}

#[test]
fn advance_without_pause_panics_clearly() {
    let rt = Builder::new_current_thread().build().unwrap();
    let err = rt
        .block_on(evloop::spawn(async {
            time::advance(Duration::from_secs(1)).await;
        }))
        .unwrap_err();
    assert!(err.is_panic());
}
