#[evloop::test]
async fn plain() {
    assert_eq!(async { 2 * 3 }.await, 6);
}

#[evloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_result() -> Result<(), std::num::ParseIntError> {
    let value: i32 = "7".parse()?;
    assert_eq!(value, 7);
    Ok(())
}

fn main() {}
