//! Runtime behaviour of `#[evloop::test]`.

use std::error::Error;
use std::thread;

use evloop::runtime::Handle;

// The crate is reachable under a second name for the `crate = "..."` cases.
use evloop as rt;

fn cores() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[evloop::test]
async fn default_flavor_is_current_thread() {
    assert_eq!(Handle::current().metrics().num_workers(), 1);
}

#[evloop::test(flavor = "current_thread")]
async fn explicit_current_thread() {
    assert_eq!(Handle::current().metrics().num_workers(), 1);
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_two_workers() {
    assert_eq!(Handle::current().metrics().num_workers(), 2);
}

#[evloop::test(worker_threads = 4, flavor = "multi_thread")]
async fn argument_order_does_not_matter() {
    assert_eq!(Handle::current().metrics().num_workers(), 4);
}

#[evloop::test(flavor = "multi_thread")]
async fn multi_thread_defaults_to_one_worker_per_core() {
    assert_eq!(Handle::current().metrics().num_workers(), cores());
}

#[evloop::test]
async fn returns_result() -> Result<(), Box<dyn Error>> {
    let value: i64 = "-12".parse()?;
    assert_eq!(value, -12);
    Ok(())
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_result_on_multi_thread() -> Result<(), std::num::ParseIntError> {
    let handle = evloop::spawn(async { "21".parse::<u32>() });
    let value = handle.await.expect("task failed")?;
    assert_eq!(value * 2, 42);
    Ok(())
}

#[evloop::test]
#[should_panic(expected = "boom")]
async fn attributes_are_kept() {
    let fail = async { panic!("boom") };
    fail.await
}

#[evloop::test(crate = "evloop")]
async fn crate_path_plain() {
    assert_eq!(Handle::current().metrics().num_workers(), 1);
}

#[evloop::test(crate = "::evloop", flavor = "multi_thread", worker_threads = 2)]
async fn crate_path_absolute() {
    assert_eq!(Handle::current().metrics().num_workers(), 2);
}

#[rt::test(crate = "rt", flavor = "multi_thread", worker_threads = 3)]
async fn crate_path_renamed() {
    assert_eq!(rt::runtime::Handle::current().metrics().num_workers(), 3);
}

mod nested {
    #[evloop::test]
    async fn works_inside_modules() {
        let sum = evloop::spawn(async { 2 + 2 }).await.expect("task failed");
        assert_eq!(sum, 4);
    }
}

#[evloop::test(flavor = "current_thread", start_paused = false)]
async fn start_paused_is_passed_to_the_builder() {
    assert_eq!(Handle::current().metrics().num_workers(), 1);
}
