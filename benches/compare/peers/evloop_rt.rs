//! evloop, configured as its users configure it.

use std::future::Future;

use crate::rt::Runtime;

pub struct EvloopRt {
    rt: evloop::runtime::Runtime,
}

impl Runtime for EvloopRt {
    const NAME: &'static str = "evloop";

    fn new(workers: usize) -> Self {
        let rt = if workers == 1 {
            evloop::runtime::Builder::new_current_thread().build()
        } else {
            evloop::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
        }
        .expect("build evloop runtime");
        EvloopRt { rt }
    }

    fn describe(workers: usize) -> String {
        if workers == 1 {
            "Builder::new_current_thread()".to_string()
        } else {
            format!("Builder::new_multi_thread().worker_threads({workers})")
        }
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn spawn_remote<F>(&self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.rt.spawn(f);
        async move { handle.await.expect("evloop task failed") }
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = evloop::spawn(f);
        async move { handle.await.expect("evloop task failed") }
    }

    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(evloop::spawn(f));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        evloop::task::yield_now()
    }

    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let handle = evloop::task::spawn_blocking(f);
        async move { handle.await.expect("evloop blocking task failed") }
    }
}
