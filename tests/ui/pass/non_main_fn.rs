#[evloop::main(flavor = "current_thread")]
async fn add(a: u32, b: u32) -> u32 {
    a + b
}

fn main() {
    assert_eq!(add(2, 3), 5);
}
