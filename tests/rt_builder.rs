//! `runtime::Builder`: worker count, thread names, thread hooks, stack size, keep-alive, and the
//! errors `build` reports instead of panicking.

mod util;

use std::collections::{BTreeSet, HashSet};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use evloop::runtime::{Builder, Handle, Runtime};
use util::{with_watchdog, Flavor};

/// What the thread hooks saw: one entry per call, with the calling thread's name and whether a
/// runtime was current there.
#[derive(Clone, Default)]
struct HookLog {
    starts: Arc<Mutex<Vec<HookCall>>>,
    stops: Arc<Mutex<Vec<HookCall>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct HookCall {
    thread: String,
    in_runtime: bool,
}

impl HookCall {
    fn here() -> HookCall {
        HookCall {
            thread: thread::current().name().unwrap_or("<unnamed>").to_string(),
            in_runtime: Handle::try_current().is_ok(),
        }
    }
}

impl HookLog {
    fn install(&self, builder: &mut Builder) {
        let starts = self.starts.clone();
        let stops = self.stops.clone();
        builder
            .on_thread_start(move || starts.lock().unwrap().push(HookCall::here()))
            .on_thread_stop(move || stops.lock().unwrap().push(HookCall::here()));
    }

    fn starts(&self) -> Vec<HookCall> {
        self.starts.lock().unwrap().clone()
    }

    fn stops(&self) -> Vec<HookCall> {
        self.stops.lock().unwrap().clone()
    }
}

/// Names of the threads that ran `tasks` tasks (each yielding a few times).
fn task_thread_names(rt: &Runtime, tasks: usize) -> BTreeSet<String> {
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                evloop::spawn(async {
                    let mut names = Vec::new();
                    for _ in 0..3 {
                        names.push(thread::current().name().map(str::to_string));
                        evloop::task::yield_now().await;
                    }
                    names
                })
            })
            .collect();
        let mut names = BTreeSet::new();
        for handle in handles {
            for name in handle.await.unwrap() {
                names.insert(name.expect("runtime threads are named"));
            }
        }
        names
    })
}

/// Acceptance: the configured number of workers is what the runtime reports and runs.
#[test]
fn worker_count_is_honoured() {
    with_watchdog(|| {
        for workers in [1, 2, 3, 4, 8] {
            let log = HookLog::default();
            let mut builder = Builder::new_multi_thread();
            builder.worker_threads(workers).thread_name("counted");
            log.install(&mut builder);
            let rt = builder.build().unwrap();
            assert_eq!(rt.metrics().num_workers(), workers);
            // Every index below the worker count is valid for the per-worker metrics.
            for i in 0..workers {
                let _ = rt.metrics().worker_poll_count(i);
            }
            let ran_on = rt.block_on(async {
                let handles: Vec<_> = (0..200)
                    .map(|_| evloop::spawn(async { thread::current().id() }))
                    .collect();
                let mut ids = HashSet::new();
                for handle in handles {
                    ids.insert(handle.await.unwrap());
                }
                ids
            });
            assert!(
                ran_on.len() <= workers,
                "tasks ran on {} threads with {workers} workers",
                ran_on.len()
            );
            drop(rt);
            assert_eq!(
                log.starts().len(),
                workers,
                "start hooks with {workers} workers"
            );
            assert_eq!(
                log.stops().len(),
                workers,
                "stop hooks with {workers} workers"
            );
        }
    });
}

/// Acceptance: `thread_name` names the workers and the blocking threads.
#[test]
fn thread_name_is_seen_inside_tasks() {
    with_watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("x")
            .build()
            .unwrap();
        let names = task_thread_names(&rt, 50);
        assert_eq!(names, BTreeSet::from(["x".to_string()]));
        let blocking_name = rt
            .block_on(rt.spawn_blocking(|| thread::current().name().map(str::to_string)))
            .unwrap();
        assert_eq!(blocking_name.as_deref(), Some("x"));
        // Tasks spawned from inside tasks run on the same named threads.
        let nested = rt
            .block_on(rt.spawn(async {
                evloop::spawn(async { thread::current().name().map(str::to_string) })
                    .await
                    .unwrap()
            }))
            .unwrap();
        assert_eq!(nested.as_deref(), Some("x"));
    });
}

/// The default worker name, when none is configured.
#[test]
fn default_thread_name() {
    with_watchdog(|| {
        let rt = Flavor::MultiThread(1).build();
        let names = task_thread_names(&rt, 5);
        assert_eq!(names.len(), 1);
        let name = names.into_iter().next().unwrap();
        assert!(!name.is_empty());
    });
}

/// `thread_name_fn` is called once per runtime thread.
#[test]
fn thread_name_fn_names_each_thread() {
    with_watchdog(|| {
        let next = Arc::new(AtomicUsize::new(0));
        let log = HookLog::default();
        let mut builder = Builder::new_multi_thread();
        {
            let next = next.clone();
            builder
                .worker_threads(3)
                .thread_name_fn(move || format!("pool-{}", next.fetch_add(1, Ordering::SeqCst)));
        }
        log.install(&mut builder);
        let rt = builder.build().unwrap();
        let names = task_thread_names(&rt, 50);
        for name in &names {
            assert!(name.starts_with("pool-"), "{name}");
        }
        drop(rt);
        let started: BTreeSet<String> = log.starts().into_iter().map(|c| c.thread).collect();
        let expected: BTreeSet<String> = (0..3).map(|i| format!("pool-{i}")).collect();
        assert_eq!(started, expected, "each worker has its own name");
        assert_eq!(
            next.load(Ordering::SeqCst),
            3,
            "no blocking thread was started"
        );
    });
}

/// Acceptance: start and stop hooks run once per worker and once per blocking thread, on that
/// thread, with the runtime current.
#[test]
fn thread_hooks_run_for_workers_and_blocking_threads() {
    with_watchdog(|| {
        const WORKERS: usize = 3;
        let log = HookLog::default();
        let mut builder = Builder::new_multi_thread();
        builder
            .worker_threads(WORKERS)
            .thread_name("hooked")
            // No blocking thread may leave on its own before the count below is taken.
            .thread_keep_alive(Duration::from_secs(600));
        log.install(&mut builder);
        let rt = builder.build().unwrap();

        // Several blocking closures at once force more than one blocking thread.
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let running = util::CountDown::new(3);
        let closures: Vec<_> = (0..3)
            .map(|_| {
                let release_rx = release_rx.clone();
                let running = running.clone();
                rt.spawn_blocking(move || {
                    running.hit();
                    let _ = release_rx.lock().unwrap().recv_timeout(util::WAIT_LIMIT);
                })
            })
            .collect();
        running.wait_blocking("three blocking closures to run at once");
        drop(release_tx);
        rt.block_on(async {
            for closure in closures {
                closure.await.unwrap();
            }
        });
        let blocking_threads = rt.metrics().num_blocking_threads();
        assert!(blocking_threads >= 3, "{blocking_threads} blocking threads");
        drop(rt);

        let starts = log.starts();
        let stops = log.stops();
        assert_eq!(
            starts.len(),
            WORKERS + blocking_threads,
            "start hooks: {starts:?}"
        );
        assert_eq!(
            stops.len(),
            WORKERS + blocking_threads,
            "stop hooks: {stops:?}"
        );
        for call in starts.iter().chain(&stops) {
            assert_eq!(call.thread, "hooked", "hooks run on the runtime's threads");
        }
        assert!(
            starts.iter().all(|c| c.in_runtime),
            "the runtime is current in start hooks: {starts:?}"
        );
    });
}

/// A current-thread runtime has no worker threads, so only blocking threads run the hooks.
#[test]
fn thread_hooks_on_current_thread_runtime() {
    with_watchdog(|| {
        let log = HookLog::default();
        let mut builder = Builder::new_current_thread();
        builder.thread_keep_alive(Duration::from_secs(600));
        log.install(&mut builder);
        let rt = builder.build().unwrap();
        assert_eq!(
            rt.block_on(async { evloop::spawn(async { 1 }).await.unwrap() }),
            1
        );
        drop(rt);
        assert!(log.starts().is_empty(), "{:?}", log.starts());
        assert!(log.stops().is_empty(), "{:?}", log.stops());

        let log = HookLog::default();
        let mut builder = Builder::new_current_thread();
        builder.thread_keep_alive(Duration::from_secs(600));
        log.install(&mut builder);
        let rt = builder.build().unwrap();
        assert_eq!(rt.block_on(spawn_blocking_on(&rt, || 2)), 2);
        let blocking_threads = rt.metrics().num_blocking_threads();
        assert!(blocking_threads >= 1);
        drop(rt);
        assert_eq!(log.starts().len(), blocking_threads);
        assert_eq!(log.stops().len(), blocking_threads);
    });
}

fn spawn_blocking_on<R: Send + 'static>(
    rt: &Runtime,
    f: impl FnOnce() -> R + Send + 'static,
) -> impl std::future::Future<Output = R> {
    let handle = rt.spawn_blocking(f);
    async move { handle.await.unwrap() }
}

/// An idle blocking thread leaves after the keep-alive, running its stop hook.
#[test]
fn idle_blocking_thread_leaves_after_keep_alive() {
    with_watchdog(|| {
        for flavor in Flavor::ALL {
            let log = HookLog::default();
            let mut builder = flavor.builder();
            builder.thread_keep_alive(Duration::from_millis(20));
            log.install(&mut builder);
            let rt = builder.build().unwrap();
            let workers = if flavor == Flavor::CurrentThread {
                0
            } else {
                flavor.workers()
            };
            assert_eq!(rt.block_on(spawn_blocking_on(&rt, || 3)), 3);
            let metrics = rt.metrics();
            util::wait_until("the idle blocking thread to leave", || {
                metrics.num_blocking_threads() == 0
            });
            util::wait_until("its stop hook", || log.stops().len() == 1);
            // The pool starts a new thread for new work.
            assert_eq!(rt.block_on(spawn_blocking_on(&rt, || 4)), 4);
            drop(rt);
            assert_eq!(log.starts().len(), workers + 2, "{flavor:?}");
            assert_eq!(log.stops().len(), workers + 2, "{flavor:?}");
        }
    });
}

/// A stack size large enough for deep recursion is applied to workers and blocking threads.
#[test]
fn thread_stack_size_is_applied() {
    /// Uses about `depth` KiB of stack.
    fn recurse(depth: usize) -> usize {
        let buf = std::hint::black_box([1u8; 1024]);
        if depth == 0 {
            return buf[0] as usize;
        }
        recurse(depth - 1) + std::hint::black_box(buf[depth % 1024]) as usize
    }
    with_watchdog(|| {
        // 6 MiB of recursion on 32 MiB stacks: more than the platform default gives.
        const DEPTH: usize = 6 * 1024;
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_stack_size(32 * 1024 * 1024)
            .build()
            .unwrap();
        let on_worker = rt.block_on(rt.spawn(async { recurse(DEPTH) })).unwrap();
        assert_eq!(on_worker, DEPTH + 1);
        let on_blocking = rt.block_on(rt.spawn_blocking(|| recurse(DEPTH))).unwrap();
        assert_eq!(on_blocking, DEPTH + 1);
    });
}

/// Acceptance: zero workers is an `InvalidInput` error from `build`, not a panic.
#[test]
fn zero_worker_threads_is_an_error() {
    let err = Builder::new_multi_thread()
        .worker_threads(0)
        .build()
        .expect_err("zero workers must be refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"), "{err}");
}

/// Zero blocking threads is refused the same way, on both flavors.
#[test]
fn zero_max_blocking_threads_is_an_error() {
    for mut builder in [Builder::new_multi_thread(), Builder::new_current_thread()] {
        let err = builder
            .max_blocking_threads(0)
            .build()
            .expect_err("zero blocking threads must be refused");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}

/// `start_paused` works on a current-thread runtime and is refused on a multi-thread one.
#[test]
fn start_paused_only_on_current_thread() {
    let rt = Builder::new_current_thread()
        .start_paused(true)
        .build()
        .expect("paused current-thread runtime");
    // The sleep is made inside the runtime: made outside, it would belong to the global
    // runtime, whose clock is not paused.
    rt.block_on(async { evloop::time::sleep(std::time::Duration::from_secs(3600)).await });
    let err = Builder::new_multi_thread()
        .start_paused(true)
        .build()
        .expect_err("paused time needs a current_thread runtime");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// A builder whose `build` failed can be fixed and used again.
#[test]
fn builder_is_reusable_after_an_error() {
    with_watchdog(|| {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(0);
        assert!(builder.build().is_err());
        builder.worker_threads(2);
        let rt = builder.build().expect("valid now");
        assert_eq!(rt.metrics().num_workers(), 2);
        assert_eq!(
            rt.block_on(async { evloop::spawn(async { 9 }).await.unwrap() }),
            9
        );
        // The same builder builds independent runtimes.
        let rt2 = builder.build().unwrap();
        assert_eq!(rt2.metrics().num_workers(), 2);
        let _ = format!("{builder:?} {rt:?} {rt2:?}");
    });
}

/// The setters that exist for tokio compatibility are accepted.
#[test]
fn compatibility_setters_are_accepted() {
    with_watchdog(|| {
        let rt = Builder::new_current_thread()
            .enable_all()
            .enable_io()
            .enable_time()
            .start_paused(false)
            .build()
            .unwrap();
        assert_eq!(rt.block_on(async { 1 }), 1);
        assert_eq!(rt.metrics().num_workers(), 1);
    });
}
