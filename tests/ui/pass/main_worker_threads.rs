#[evloop::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    assert_eq!(async { 1 + 1 }.await, 2);
}
