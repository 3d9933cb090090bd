//! `process::Command` and `Child` on Windows: real child processes (`cmd`, `find`, `ping`) with
//! piped standard streams, on every runtime flavor.

#![cfg(windows)]

#[macro_use]
mod util;

use std::io::ErrorKind;
use std::process::Stdio;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::process::{ChildStdout, Command};

/// A child that runs for 100 seconds unless it is killed; its output is discarded.
fn long_running() -> Command {
    let mut command = Command::new("ping");
    command
        .args(["-n", "100", "127.0.0.1"])
        .stdout(Stdio::null());
    command
}

/// `cmd /C <line>`, the line passed as it is (cmd parses its command line its own way).
fn cmd(line: &str) -> Command {
    let mut command = Command::new("cmd");
    command.arg("/C").raw_arg(line);
    command
}

/// The lines of `bytes`, whatever their line endings.
fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect()
}

rt_test! {
    fn output_collects_stdout_stderr_and_status(rt) {
        rt.block_on(async {
            let output = cmd("echo out& echo err 1>&2& exit /b 7").output().await.unwrap();
            assert_eq!(lines(&output.stdout), ["out"]);
            assert_eq!(lines(&output.stderr), ["err"]);
            assert_eq!(output.status.code(), Some(7));
        });
    }

    fn status_reports_the_exit_code(rt) {
        rt.block_on(async {
            let status = cmd("exit /b 3").status().await.unwrap();
            assert_eq!(status.code(), Some(3));
            assert!(cmd("exit /b 0").status().await.unwrap().success());
        });
    }

    fn stdin_is_piped_to_the_child_and_back(rt) {
        rt.block_on(async {
            // `find` echoes the lines of its input that hold the string.
            let mut child = Command::new("find")
                .arg("evloop")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            // More than a pipe's buffer: the writer and the reader must take turns.
            let sent: Vec<String> = (0..4000).map(|i| format!("evloop line {i:05}")).collect();
            let mut stdin = child.stdin.take().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            let input = sent.iter().map(|line| format!("{line}\r\n")).collect::<String>();
            let writer = evloop::spawn(async move {
                stdin.write_all(input.as_bytes()).await.unwrap();
                stdin.close().await.unwrap();
                // Closed: later writes fail instead of reaching the child.
                assert_eq!(stdin.write(b"late").await.unwrap_err().kind(), ErrorKind::BrokenPipe);
            });
            let mut echoed = Vec::new();
            stdout.read_to_end(&mut echoed).await.unwrap();
            writer.await.unwrap();
            assert!(lines(&echoed) == sent, "find echoed {} bytes, not the lines sent", echoed.len());
            assert!(child.wait().await.unwrap().success());
        });
    }

    fn a_dropped_stdin_delivers_its_writes_then_end_of_file(rt) {
        rt.block_on(async {
            let mut child = Command::new("find")
                .arg("evloop")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"evloop hello\r\n").await.unwrap();
            // No flush or close: the write still reaches the child, then end-of-file does.
            drop(stdin);
            let output = child.wait_with_output().await.unwrap();
            assert_eq!(lines(&output.stdout), ["evloop hello"]);
            assert!(output.status.success());
        });
    }

    fn kill_ends_a_running_child(rt) {
        rt.block_on(async {
            let mut child = long_running().spawn().unwrap();
            assert!(child.id().is_some());
            assert!(child.raw_handle().is_some());
            child.kill().await.unwrap();
            assert!(child.id().is_none());
            assert!(child.raw_handle().is_none());
            let status = child.wait().await.unwrap();
            assert!(!status.success());
            assert_eq!(status.code(), Some(1));
            // Killing an exited child is an error, not a panic.
            assert_eq!(child.start_kill().unwrap_err().kind(), ErrorKind::InvalidInput);
        });
    }

    fn try_wait_before_and_after_the_exit(rt) {
        rt.block_on(async {
            let mut child = long_running().spawn().unwrap();
            assert!(child.try_wait().unwrap().is_none());
            child.start_kill().unwrap();
            let status = child.wait().await.unwrap();
            assert_eq!(child.try_wait().unwrap(), Some(status));

            // A child that exits by itself shows up in `try_wait` without `wait`.
            let mut child = cmd("exit /b 4").spawn().unwrap();
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
                evloop::time::sleep(std::time::Duration::from_millis(10)).await;
            };
            assert_eq!(status.code(), Some(4));
            assert_eq!(child.wait().await.unwrap().code(), Some(4));
        });
    }

    fn wait_is_cancel_safe(rt) {
        rt.block_on(async {
            // About a second (`ping` waits a second between its two echoes), then exit code 5.
            let mut child = cmd("ping -n 2 127.0.0.1 >NUL & exit /b 5").spawn().unwrap();
            // A wait that times out, dropped mid-way, loses nothing.
            let early = evloop::time::timeout(std::time::Duration::from_millis(10), child.wait()).await;
            assert!(early.is_err());
            assert_eq!(child.wait().await.unwrap().code(), Some(5));
            assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(5));
        });
    }

    fn kill_on_drop_kills_the_child(rt) {
        rt.block_on(async {
            let mut child = Command::new("ping")
                .args(["-n", "100", "127.0.0.1"])
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            let mut stdout = child.stdout.take().unwrap();
            drop(child);
            // The pipe ends when the process does: long before its 100 seconds if it was killed
            // (the watchdog fails the test otherwise).
            let mut output = Vec::new();
            stdout.read_to_end(&mut output).await.unwrap();
        });
    }

    fn a_hundred_concurrent_children_exit_with_their_codes(rt) {
        rt.block_on(async {
            let mut set = evloop::task::JoinSet::new();
            for i in 0..100 {
                let mut child = cmd(&format!("exit /b {}", i % 50)).spawn().unwrap();
                set.spawn(async move { (i, child.wait().await.unwrap()) });
            }
            let mut seen = 0;
            while let Some(result) = set.join_next().await {
                let (i, status) = result.unwrap();
                assert_eq!(status.code(), Some(i % 50));
                seen += 1;
            }
            assert_eq!(seen, 100);
        });
    }

    fn a_missing_program_is_not_found(rt) {
        rt.block_on(async {
            let err = Command::new("evloop-no-such-program").spawn().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            let err = Command::new("evloop-no-such-program").output().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        });
    }

    fn std_pipes_are_taken_over_and_given_back(rt) {
        rt.block_on(async {
            let mut std_child = std::process::Command::new("cmd")
                .args(["/C", "echo hello"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdout = ChildStdout::from_std(std_child.stdout.take().unwrap()).unwrap();
            let mut output = String::new();
            stdout.read_to_string(&mut output).await.unwrap();
            assert_eq!(output.trim_end(), "hello");
            assert!(std_child.wait().unwrap().success());
            // Idle: the handle itself comes back.
            let _handle = stdout.into_owned_handle().unwrap();

            let mut child = long_running().stdin(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
            let stdin = child.stdin.take().unwrap();
            assert!(format!("{stdin:?}").starts_with("ChildStdin { handle: Some("));
            let _handle = stdin.into_owned_handle().unwrap();
        });
    }
}
