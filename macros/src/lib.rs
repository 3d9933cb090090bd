//! Procedural macros for the `evloop` async runtime.
//!
//! This crate provides two attribute macros, normally used through their
//! re-exports in `evloop`:
//!
//! - [`macro@main`] turns an `async fn main` into a synchronous `main` that
//!   builds a runtime and blocks on the original body.
//! - [`macro@test`] does the same for `async fn` tests and marks them with
//!   `#[test]`.
//!
//! Both accept the same arguments:
//!
//! | argument                      | meaning                                              |
//! |-------------------------------|------------------------------------------------------|
//! | `flavor = "multi_thread"`     | a work-stealing runtime with several worker threads  |
//! | `flavor = "current_thread"`   | a runtime that runs everything on the calling thread |
//! | `worker_threads = N`          | number of workers (`multi_thread` only, `N > 0`)     |
//! | `start_paused = true\|false`  | start with paused time (`current_thread` only)       |
//! | `crate = "path"`              | path to the `evloop` crate (default `::evloop`)      |
//!
//! Mistakes in the arguments or in the function are reported as compile errors
//! pointing at the offending token. The function itself is still emitted, so
//! editors and other diagnostics keep working.

#![warn(missing_docs)]

extern crate proc_macro;

mod entry;

use proc_macro::TokenStream;

/// Runs an `async fn` on an `evloop` runtime.
///
/// The function keeps its attributes, visibility, name and return type but
/// becomes synchronous: its body builds a runtime and blocks on the original
/// body. A `main` returning `Result<_, E>` works as usual, because the value of
/// the body is returned as is.
///
/// The default flavor is `multi_thread` with one worker per CPU core.
///
/// # Examples
///
/// ```ignore
/// #[evloop::main]
/// async fn main() {
///     println!("hello from the runtime");
/// }
/// ```
///
/// Choosing a flavor or a number of workers:
///
/// ```ignore
/// #[evloop::main(flavor = "multi_thread", worker_threads = 4)]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     Ok(())
/// }
///
/// #[evloop::main(flavor = "current_thread")]
/// async fn main() {}
/// ```
///
/// If `evloop` is reachable under another name, tell the macro where to find it:
///
/// ```ignore
/// use evloop as rt;
///
/// #[rt::main(crate = "rt")]
/// async fn main() {}
/// ```
///
/// The generated code is equivalent to:
///
/// ```ignore
/// fn main() {
///     let body = async move { /* original body */ };
///     ::evloop::runtime::Builder::new_multi_thread()
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(body)
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on an `evloop` runtime.
///
/// The function is marked with `#[test]` and becomes synchronous: its body
/// builds a runtime and blocks on the original body. Tests may return
/// `Result<(), E>` like ordinary tests.
///
/// The default flavor is `current_thread`; the arguments are the same as for
/// [`macro@main`].
///
/// # Examples
///
/// ```ignore
/// #[evloop::test]
/// async fn adds() {
///     assert_eq!(async { 1 + 1 }.await, 2);
/// }
///
/// #[evloop::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), Box<dyn std::error::Error>> {
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}
