use evloop as rt;

#[rt::main(crate = "rt", worker_threads = 1)]
async fn main() {}
