#[evloop::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(async { "done" }.await, "done");
}
