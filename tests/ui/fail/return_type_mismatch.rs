#[evloop::main]
async fn main() -> Result<(), String> {
    let count = 3;
    count
}
