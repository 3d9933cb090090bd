//! `evloop::io::{stdin, stdout, stderr}`, checked through a child process.
//!
//! Each test re-runs this test binary as a child with [`CHILD_ENV`] set. In the child, the
//! [`stdio_child`] test sees the variable and runs the named mode: it echoes its standard input
//! through evloop's async stdio and exits. The parent feeds the input, collects the output and
//! compares. The child writes [`MARKER`] first, so that what the test harness prints before
//! running the test ("running 1 test") can be told apart from the echo.

use std::io::{Read, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use evloop::io::{self, AsyncBufReadExt, AsyncWriteExt, BufReader};
use evloop::runtime::Builder;
use futures_lite::StreamExt;

/// Selects the child mode; unset in the parent.
const CHILD_ENV: &str = "EVLOOP_STDIO_TEST_CHILD";

/// Written by the child before its echo.
const MARKER: &[u8] = b"<<evloop stdio child>>\n";

/// How long a child may run before it is killed and the test fails.
const CHILD_LIMIT: Duration = Duration::from_secs(30);

/// The child side: does nothing unless [`CHILD_ENV`] names a mode.
#[test]
fn stdio_child() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = match mode.as_str() {
        "echo-multi-thread" => Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
        _ => Builder::new_current_thread().build().unwrap(),
    };
    runtime
        .block_on(async {
            match mode.as_str() {
                "echo" | "echo-multi-thread" => {
                    let mut out = io::stdout();
                    out.write_all(MARKER).await?;
                    io::copy(&mut io::stdin(), &mut out).await?;
                    out.flush().await
                }
                "lines" => {
                    let mut out = io::stdout();
                    out.write_all(MARKER).await?;
                    let mut lines = BufReader::new(io::stdin()).lines();
                    let mut number = 0;
                    while let Some(line) = lines.next().await {
                        number += 1;
                        // Several small writes per line, no flush until the end: order must hold.
                        out.write_all(number.to_string().as_bytes()).await?;
                        out.write_all(b": ").await?;
                        out.write_all(line?.to_uppercase().as_bytes()).await?;
                        out.write_all(b"\n").await?;
                    }
                    out.flush().await
                }
                "stderr" => {
                    let mut err = io::stderr();
                    err.write_all(MARKER).await?;
                    io::copy(&mut io::stdin(), &mut err).await?;
                    err.flush().await
                }
                other => panic!("unknown child mode {other:?}"),
            }
        })
        .unwrap();
    // Leave before the harness prints its summary.
    std::process::exit(0);
}

struct ChildOutput {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs this binary's [`stdio_child`] in `mode`, feeding it `input`.
fn run_child(mode: &str, input: Vec<u8>) -> ChildOutput {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "stdio_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Feed and drain on threads, so that a full pipe never stalls either side.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = thread::spawn(move || {
        // The child may exit early on failure; its exit status tells that story.
        let _ = stdin.write_all(&input);
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));

    let deadline = Instant::now() + CHILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the child in mode {mode:?} did not finish in {CHILD_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    feeder.join().unwrap();
    ChildOutput {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// What follows the marker in `bytes`.
#[track_caller]
fn after_marker(bytes: &[u8]) -> &[u8] {
    let at = bytes
        .windows(MARKER.len())
        .position(|window| window == MARKER)
        .unwrap_or_else(|| panic!("no marker in {:?}", String::from_utf8_lossy(bytes)));
    &bytes[at + MARKER.len()..]
}

#[track_caller]
fn assert_success(output: &ChildOutput) {
    assert!(
        output.status.success(),
        "child failed with {}; stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn stdin_is_echoed_to_stdout() {
    let input = b"hello\nfrom the parent\n".to_vec();
    let output = run_child("echo", input.clone());
    assert_success(&output);
    assert_eq!(after_marker(&output.stdout), &input[..]);
}

#[test]
fn empty_stdin_gives_empty_output() {
    let output = run_child("echo", Vec::new());
    assert_success(&output);
    assert_eq!(after_marker(&output.stdout), b"");
}

#[test]
fn a_mebibyte_of_binary_data_is_echoed_in_order() {
    let input: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    let output = run_child("echo", input.clone());
    assert_success(&output);
    assert!(after_marker(&output.stdout) == &input[..]);
}

#[test]
fn echo_on_a_multi_thread_runtime() {
    let input: Vec<u8> = (0..200_000).map(|i| (i % 251) as u8).collect();
    let output = run_child("echo-multi-thread", input.clone());
    assert_success(&output);
    assert!(after_marker(&output.stdout) == &input[..]);
}

#[test]
fn many_small_writes_stay_in_order() {
    let input: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let expected: String = (0..2000)
        .map(|i| format!("{}: LINE {i}\n", i + 1))
        .collect();
    let output = run_child("lines", input.into_bytes());
    assert_success(&output);
    assert_eq!(
        String::from_utf8_lossy(after_marker(&output.stdout)),
        expected
    );
}

#[test]
fn stdin_is_echoed_to_stderr() {
    let input = b"to the error stream\n".to_vec();
    let output = run_child("stderr", input.clone());
    assert_success(&output);
    assert_eq!(after_marker(&output.stderr), &input[..]);
}
