//! `process::Command` and `Child`: real child processes (`sh`, `cat`, `sleep`) with piped
//! standard streams, on every runtime flavor.

#![cfg(unix)]

#[macro_use]
mod util;

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use evloop::io::{AsyncReadExt, AsyncWriteExt};
use evloop::process::Command;
use rustix::io::Errno;
use rustix::process::{test_kill_process, Pid};

rt_test! {
    fn output_collects_stdout_stderr_and_status(rt) {
        rt.block_on(async {
            let output = Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 7"])
                .output()
                .await
                .unwrap();
            assert_eq!(output.stdout, b"out\n");
            assert_eq!(output.stderr, b"err\n");
            assert_eq!(output.status.code(), Some(7));
        });
    }

    fn status_reports_the_exit_code(rt) {
        rt.block_on(async {
            let status = Command::new("sh").args(["-c", "exit 3"]).status().await.unwrap();
            assert_eq!(status.code(), Some(3));
            assert!(Command::new("true").status().await.unwrap().success());
        });
    }

    fn cat_round_trips_a_megabyte_through_piped_stdio(rt) {
        rt.block_on(async {
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
            let mut stdin = child.stdin.take().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            // Larger than a pipe's buffer: the writer and the reader must take turns.
            let expected = data.clone();
            let writer = evloop::spawn(async move {
                stdin.write_all(&data).await.unwrap();
                stdin.close().await.unwrap();
            });
            let mut echoed = Vec::new();
            stdout.read_to_end(&mut echoed).await.unwrap();
            writer.await.unwrap();
            assert!(echoed == expected, "cat echoed {} bytes, not the 1 MiB sent", echoed.len());
            assert!(child.wait().await.unwrap().success());
        });
    }

    fn a_hundred_concurrent_children_are_all_reaped(rt) {
        rt.block_on(async {
            let mut set = evloop::task::JoinSet::new();
            let mut pids = Vec::new();
            for i in 0..100 {
                let mut child = Command::new("sh")
                    .args(["-c", &format!("exit {}", i % 50)])
                    .spawn()
                    .unwrap();
                pids.push(child.id().unwrap());
                set.spawn(async move { (i, child.wait().await.unwrap()) });
            }
            let mut seen = 0;
            while let Some(result) = set.join_next().await {
                let (i, status) = result.unwrap();
                assert_eq!(status.code(), Some(i % 50));
                seen += 1;
            }
            assert_eq!(seen, 100);
            // Reaped: no process (not even a zombie) is left under those IDs that is our child.
            for pid in pids {
                assert!(!is_our_zombie_or_running(pid), "child {pid} was not reaped");
            }
        });
    }

    fn kill_on_drop_kills_and_reaps(rt) {
        rt.block_on(async {
            let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn().unwrap();
            let pid = child.id().unwrap();
            assert!(is_our_zombie_or_running(pid));
            drop(child);
            let mut waited = 0;
            while is_our_zombie_or_running(pid) {
                assert!(waited < 2000, "child {pid} still there after kill_on_drop");
                evloop::time::sleep(std::time::Duration::from_millis(10)).await;
                waited += 1;
            }
        });
    }

    fn kill_ends_a_running_child(rt) {
        rt.block_on(async {
            let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
            child.kill().await.unwrap();
            assert!(child.id().is_none());
            let status = child.wait().await.unwrap();
            assert_eq!(status.signal(), Some(9));
            // Killing an exited child is an error, not a panic.
            assert_eq!(child.start_kill().unwrap_err().kind(), ErrorKind::InvalidInput);
        });
    }

    fn a_missing_program_is_not_found(rt) {
        rt.block_on(async {
            let err = Command::new("/nonexistent/evloop-no-such-program").spawn().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            let err = Command::new("/nonexistent/evloop-no-such-program").output().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        });
    }

    fn wait_is_cancel_safe(rt) {
        rt.block_on(async {
            let mut child = Command::new("sh").args(["-c", "sleep 0.2; exit 5"]).spawn().unwrap();
            // A wait that times out, dropped mid-way, loses nothing.
            let early = evloop::time::timeout(std::time::Duration::from_millis(10), child.wait()).await;
            assert!(early.is_err());
            assert_eq!(child.wait().await.unwrap().code(), Some(5));
            assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(5));
        });
    }
}

/// Whether `pid` is still a process we could signal: running, or exited but not yet reaped.
fn is_our_zombie_or_running(pid: u32) -> bool {
    let pid = Pid::from_raw(pid as i32).unwrap();
    match test_kill_process(pid) {
        Ok(()) => true,
        Err(Errno::SRCH) => false,
        Err(err) => panic!("kill(pid, 0): {err}"),
    }
}
