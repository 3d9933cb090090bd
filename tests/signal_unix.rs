//! `signal::unix::signal` and `signal::ctrl_c`: a process sends itself a signal and the listener
//! yields it.
//!
//! Listening for a signal replaces its default action for the rest of the process, so each
//! test re-runs this test binary as a child process (selecting itself by name, with
//! [`CHILD_ENV`] naming the case), does the work there, and checks what the child reports.

#![cfg(unix)]

#[macro_use]
mod util;

use std::future::Future;
use std::pin::pin;
use std::process::{Command, Stdio};
use std::time::Duration;

use evloop::runtime::Runtime;
use evloop::signal::unix::{signal, SignalKind};
use futures_lite::future::poll_once;
use rustix::process::{getpid, kill_process, Signal as RawSignal};

use util::Flavor;

/// Set in the child's environment to the name of the case it runs.
const CHILD_ENV: &str = "EVLOOP_TEST_SIGNAL_CHILD";

/// The line a child prints when its case passed.
const CHILD_OK: &str = "signal-child: ok";

/// Hang guard for one wait inside a child.
const WAIT: Duration = Duration::from_secs(10);

fn raise(signal: RawSignal) {
    kill_process(getpid(), signal).expect("kill(getpid())");
}

/// Awaits `fut`, failing the child if it takes longer than [`WAIT`].
async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match evloop::time::timeout(WAIT, fut).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: nothing after {WAIT:?}"),
    }
}

/// Runs `case` in a child process (when this process is the parent) or runs it here (when this
/// process is the child started for it).
fn in_child(test_name: &str, case: fn()) {
    match std::env::var(CHILD_ENV) {
        Ok(name) if name == test_name => {
            case();
            println!("{CHILD_OK}");
        }
        Ok(_) => {} // a child started for another test
        Err(_) => {
            let output = Command::new(std::env::current_exe().unwrap())
                .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, test_name)
                .stdin(Stdio::null())
                .output()
                .expect("starting the child test process");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stdout.contains(CHILD_OK),
                "child for {test_name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                output.status
            );
        }
    }
}

fn each_flavor(body: fn(Runtime)) {
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread(2)] {
        body(flavor.build());
    }
}

#[test]
fn sigusr1_reaches_every_listener() {
    in_child("sigusr1_reaches_every_listener", || {
        each_flavor(|rt| {
            rt.block_on(async {
                let mut first = signal(SignalKind::user_defined1()).unwrap();
                let mut second = signal(SignalKind::user_defined1()).unwrap();
                assert_eq!(first.kind(), SignalKind::user_defined1());
                for round in 0..3 {
                    raise(RawSignal::USR1);
                    within("first listener", first.recv()).await.unwrap();
                    within("second listener", second.recv()).await.unwrap();
                    // Nothing more is pending after each delivery was reported once.
                    assert!(
                        poll_once(first.recv()).await.is_none(),
                        "round {round}: a delivery reported twice"
                    );
                }
            });
        });
    });
}

#[test]
fn signal_sent_from_another_thread_wakes_a_waiting_task() {
    in_child(
        "signal_sent_from_another_thread_wakes_a_waiting_task",
        || {
            each_flavor(|rt| {
                rt.block_on(async {
                    let mut hangups = signal(SignalKind::hangup()).unwrap();
                    let task = evloop::spawn(async move {
                        within("SIGHUP", hangups.recv()).await.unwrap();
                    });
                    // The task waits (in the reactor) before the signal is sent.
                    evloop::time::sleep(Duration::from_millis(20)).await;
                    std::thread::spawn(|| raise(RawSignal::HUP)).join().unwrap();
                    task.await.unwrap();
                });
            });
        },
    );
}

#[test]
fn ctrl_c_resolves_on_sigint() {
    in_child("ctrl_c_resolves_on_sigint", || {
        each_flavor(|rt| {
            rt.block_on(async {
                let mut ctrl_c = pin!(evloop::signal::ctrl_c());
                // The first poll sets up the listener.
                assert!(poll_once(ctrl_c.as_mut()).await.is_none());
                raise(RawSignal::INT);
                within("ctrl_c", ctrl_c).await.unwrap();
            });
        });
    });
}

#[test]
fn deliveries_while_not_polled_coalesce_and_are_not_lost() {
    in_child(
        "deliveries_while_not_polled_coalesce_and_are_not_lost",
        || {
            each_flavor(|rt| {
                rt.block_on(async {
                    let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
                    for _ in 0..5 {
                        raise(RawSignal::USR2);
                    }
                    within("SIGUSR2", usr2.recv()).await.unwrap();
                });
            });
        },
    );
}

#[test]
fn signals_that_cannot_be_handled_are_errors() {
    // No handler is installed for these, so this runs in the test process itself.
    evloop::block_on(async {
        for raw in [libc_signum(RawSignal::KILL), libc_signum(RawSignal::STOP)] {
            let err = signal(SignalKind::from_raw(raw)).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        }
        for raw in [0, -1, 100_000] {
            let err = signal(SignalKind::from_raw(raw)).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        }
    });
}

fn libc_signum(signal: RawSignal) -> i32 {
    signal.as_raw()
}
