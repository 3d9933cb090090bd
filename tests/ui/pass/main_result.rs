use std::error::Error;

#[evloop::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let value: u32 = "42".parse()?;
    assert_eq!(value, 42);
    Ok(())
}
