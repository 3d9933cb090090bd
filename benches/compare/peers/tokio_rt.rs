//! tokio, configured as its users configure it.

use std::future::Future;

use crate::rt::Runtime;

pub struct TokioRt {
    rt: tokio::runtime::Runtime,
}

impl Runtime for TokioRt {
    const NAME: &'static str = "tokio";

    fn new(workers: usize) -> Self {
        let mut builder = if workers == 1 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(workers);
            b
        };
        let rt = builder.enable_all().build().expect("build tokio runtime");
        TokioRt { rt }
    }

    fn describe(workers: usize) -> String {
        if workers == 1 {
            "Builder::new_current_thread().enable_all()".to_string()
        } else {
            format!("Builder::new_multi_thread().worker_threads({workers}).enable_all()")
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
        async move { handle.await.expect("tokio task failed") }
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(f);
        async move { handle.await.expect("tokio task failed") }
    }

    fn spawn_detached<F>(f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(f));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let handle = tokio::task::spawn_blocking(f);
        async move { handle.await.expect("tokio blocking task failed") }
    }
}
