#[evloop::main]
async fn main() {
    let value = async { 40 + 2 }.await;
    assert_eq!(value, 42);
}
