#[evloop::test(start_paused = false)]
async fn default_flavor_accepts_start_paused() {}

#[evloop::main(flavor = "current_thread", start_paused = false)]
async fn main() {}
