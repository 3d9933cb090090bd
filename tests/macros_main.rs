//! Runtime behaviour of `#[evloop::main]`.
//!
//! The attribute also works on async functions other than `main`: each one
//! becomes a synchronous function that builds its own runtime, which lets these
//! tests call them from ordinary `#[test]` functions.

use std::error::Error;
use std::thread;

use evloop::runtime::Handle;

fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[evloop::main]
async fn default_flavor() -> usize {
    Handle::current().metrics().num_workers()
}

#[evloop::main(worker_threads = 3)]
async fn three_workers() -> usize {
    Handle::current().metrics().num_workers()
}

#[evloop::main(flavor = "multi_thread", worker_threads = 1)]
async fn one_worker() -> usize {
    Handle::current().metrics().num_workers()
}

#[evloop::main(flavor = "current_thread")]
async fn current_thread() -> (thread::ThreadId, usize) {
    let workers = Handle::current().metrics().num_workers();
    (thread::current().id(), workers)
}

#[evloop::main]
async fn with_arguments(name: String, times: usize) -> String {
    let part = async move { name }.await;
    part.repeat(times)
}

#[evloop::main(flavor = "current_thread")]
async fn parse_number(text: &str) -> Result<u32, Box<dyn Error>> {
    let value: u32 = text.trim().parse()?;
    if value == 0 {
        return Err("zero is not allowed".into());
    }
    Ok(value)
}

#[evloop::main(crate = "evloop")]
async fn explicit_crate_path() -> u8 {
    7
}

#[evloop::main]
async fn spawns_a_task() -> u64 {
    let handle = evloop::spawn(async { (1..=10u64).sum::<u64>() });
    handle.await.expect("task failed")
}

#[test]
fn default_is_multi_thread_with_one_worker_per_core() {
    assert_eq!(default_flavor(), cores());
}

#[test]
fn worker_threads_is_honoured() {
    assert_eq!(three_workers(), 3);
    assert_eq!(one_worker(), 1);
}

#[test]
fn current_thread_runs_on_the_calling_thread() {
    let (id, workers) = current_thread();
    assert_eq!(id, thread::current().id());
    assert_eq!(workers, 1);
}

#[test]
fn arguments_are_moved_into_the_body() {
    assert_eq!(with_arguments("ab".to_owned(), 3), "ababab");
}

#[test]
fn result_is_returned_as_is() {
    assert_eq!(parse_number(" 42 ").ok(), Some(42));
    assert_eq!(
        parse_number("0").map_err(|e| e.to_string()),
        Err("zero is not allowed".to_owned())
    );
    assert!(parse_number("x").is_err());
}

#[test]
fn crate_path_can_be_given() {
    assert_eq!(explicit_crate_path(), 7);
}

#[test]
fn spawned_tasks_run() {
    assert_eq!(spawns_a_task(), 55);
}

#[test]
fn each_call_builds_a_fresh_runtime() {
    assert!(Handle::try_current().is_err());
    assert_eq!(three_workers(), 3);
    assert_eq!(three_workers(), 3);
    assert!(Handle::try_current().is_err());
}
