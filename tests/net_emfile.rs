//! An accept loop that runs out of file descriptors (`EMFILE`) reports the error, does not
//! panic, and serves new connections once descriptors are free again.
//!
//! Lowering the open-file limit affects the whole process, so each test re-runs this test
//! binary as a child process (selecting itself by name, with [`CHILD_ENV`] set to tell it that
//! it is the child), lowers the limit there, and checks the child's exit status and report.

// Lowers the open-file limit (`setrlimit`), which only Unix has.
#![cfg(unix)]

#[macro_use]
mod util;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::net::{TcpListener, TcpStream};
use rustix::io::Errno;
use rustix::process::{getrlimit, setrlimit, Resource};

use util::Flavor;

/// Set (to the flavor's name) in the child's environment.
const CHILD_ENV: &str = "EVLOOP_TEST_NET_EMFILE_CHILD";

/// Descriptors left free (at least) under the lowered limit.
const FREE: usize = 16;

/// Connections made after the descriptors have been released again.
const LATER: usize = 5;

/// The line a successful child prints last.
const CHILD_OK: &str = "emfile-child: ok";

/// How long the parent gives the child.
const CHILD_LIMIT: Duration = Duration::from_secs(25);

#[test]
fn accept_loop_survives_emfile_on_current_thread() {
    run_as_child_or_parent(
        "accept_loop_survives_emfile_on_current_thread",
        "current_thread",
        Flavor::CurrentThread,
    );
}

#[test]
fn accept_loop_survives_emfile_on_multi_thread() {
    run_as_child_or_parent(
        "accept_loop_survives_emfile_on_multi_thread",
        "multi_thread",
        Flavor::MultiThread(2),
    );
}

fn run_as_child_or_parent(test_name: &str, flavor_name: &str, flavor: Flavor) {
    match std::env::var(CHILD_ENV) {
        Ok(name) if name == flavor_name => child(flavor),
        Ok(_) => {} // a child started for the other test; not this one's business
        Err(_) => parent(test_name, flavor_name),
    }
}

// ===== The parent =====

/// Runs this test in a child process and checks what it reports.
fn parent(test_name: &str, flavor_name: &str) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, flavor_name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child process");

    // Collect the output on threads so that a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the child hung; its output:\n{}\n{}",
                out.join().unwrap(),
                err.join().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let context = format!("child {status}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    assert!(status.success(), "{context}");
    assert!(!stdout.contains("panicked"), "{context}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran its test: {context}"
    );
    let report = stdout
        .lines()
        .find(|line| line.starts_with(CHILD_OK))
        .unwrap_or_else(|| panic!("no report line: {context}"));
    eprintln!("{test_name}: {report}");
    let emfile = field(report, "emfile=");
    let accepted = field(report, "accepted=");
    let held = field(report, "held=");
    assert!(
        emfile >= 2,
        "accept reported EMFILE more than once: {context}"
    );
    assert_eq!(accepted, held + LATER, "{context}");
}

/// The number after `key` in `line`.
fn field(line: &str, key: &str) -> usize {
    let start = line
        .find(key)
        .unwrap_or_else(|| panic!("{key} missing in {line:?}"))
        + key.len();
    line[start..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{key} is not a number in {line:?}"))
}

// ===== The child =====

/// What the server task saw.
#[derive(Default)]
struct ServerLog {
    accepted: AtomicUsize,
    emfile: AtomicUsize,
    /// Errors other than EMFILE; the test fails if there are any.
    unexpected: Mutex<Vec<String>>,
}

/// The numbers of this process's open descriptors, in order.
fn open_descriptors() -> Vec<usize> {
    let mut numbers: Vec<usize> = std::fs::read_dir("/proc/self/fd")
        .or_else(|_| std::fs::read_dir("/dev/fd"))
        .expect("list the open descriptors")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own descriptor is among them and closed again by now: counting it leaves
    // one descriptor more free than planned, which changes nothing below.
    numbers.sort_unstable();
    numbers
}

/// Lowers the soft open-file limit so that [`FREE`] more descriptors can be opened (or one
/// more, see [`open_descriptors`]); returns how many exactly.
///
/// New descriptors get the lowest free numbers, and the limit caps the number, so under a
/// limit `L` there is room for `L` minus the open descriptors numbered below `L` (descriptors
/// numbered higher stay usable, but take no room).
fn leave_free_descriptors() -> usize {
    let open = open_descriptors();
    let room = |limit: usize| limit - open.iter().filter(|&&fd| fd < limit).count();
    let limit = (FREE..).find(|&limit| room(limit) >= FREE).unwrap();
    let mut lowered = getrlimit(Resource::Nofile);
    lowered.current = Some(limit as u64);
    setrlimit(Resource::Nofile, lowered).expect("lower RLIMIT_NOFILE");
    let free = room(limit);
    println!(
        "emfile-child: {} open (highest {:?}), limit {limit}, {free} free",
        open.len(),
        open.last()
    );
    free
}

/// Echoes one connection: reads to its end, writes it all back, closes.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut data = Vec::new();
    stream.read_to_end(&mut data).await?;
    stream.write_all(&data).await?;
    stream.close().await
}

/// The accept loop under test: serves each connection on its own task; on an error, logs it and
/// backs off before accepting again, as the listener's documentation asks.
async fn serve(listener: TcpListener, log: Arc<ServerLog>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                log.accepted.fetch_add(1, SeqCst);
                evloop::spawn(async move {
                    let _ = echo(stream).await;
                });
            }
            Err(error) => {
                if error.raw_os_error() == Some(Errno::MFILE.raw_os_error()) {
                    log.emfile.fetch_add(1, SeqCst);
                } else {
                    log.unexpected.lock().unwrap().push(error.to_string());
                }
                evloop::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// A blocking client: connects, sends `message`, half-closes, returns the echo.
fn echo_client(addr: SocketAddr, message: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(message)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed)?;
    Ok(echoed)
}

/// Waits (in a task) until `cond` holds, failing after a while.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        evloop::time::sleep(Duration::from_millis(2)).await;
    }
}

fn child(flavor: Flavor) {
    let rt = flavor.build();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let free = leave_free_descriptors();

        // 1. Connections that hold descriptors: the client ends now, the server ends once
        //    accepted. The kernel completes them into the listener's backlog. More than half
        //    of the free descriptors go to client ends, so the server's ends cannot all get one
        //    and some connections still wait in the backlog when the descriptors run out.
        let held_count = free / 2 + 2;
        let held: Vec<std::net::TcpStream> = thread::spawn(move || {
            (0..held_count)
                .map(|_| std::net::TcpStream::connect(addr).unwrap())
                .collect()
        })
        .join()
        .unwrap();

        // 2. The server accepts until the descriptors run out; accept must then fail with
        //    EMFILE, repeatedly, without panicking.
        let log = Arc::new(ServerLog::default());
        let server = evloop::spawn(serve(listener, log.clone()));
        eventually("accept to report EMFILE twice", || log.emfile.load(SeqCst) >= 2).await;
        let accepted_while_short = log.accepted.load(SeqCst);
        assert!(accepted_while_short < held_count, "some connections still wait");
        // Also check through a client: a new connection cannot even get a descriptor now.
        let error = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(Errno::MFILE.raw_os_error()));

        // 3. Release descriptors: the held clients close, their server ends follow.
        drop(held);
        eventually("the waiting connections to be accepted", || {
            log.accepted.load(SeqCst) == held_count
        })
        .await;

        // 4. The same loop serves new connections.
        for i in 0..LATER {
            let message = format!("connection {i} after EMFILE").into_bytes();
            let echoed = evloop::task::spawn_blocking({
                let message = message.clone();
                move || echo_client(addr, &message)
            })
            .await
            .unwrap()
            .unwrap();
            assert_eq!(echoed, message);
        }
        assert_eq!(log.accepted.load(SeqCst), held_count + LATER);
        let unexpected = log.unexpected.lock().unwrap().clone();
        assert!(unexpected.is_empty(), "errors other than EMFILE: {unexpected:?}");

        server.abort();
        println!(
            "{CHILD_OK} held={held_count} accepted={} emfile={} accepted_while_short={accepted_while_short}",
            log.accepted.load(SeqCst),
            log.emfile.load(SeqCst),
        );
    });
}
