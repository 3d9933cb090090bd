//! The declarative macros at the crate root: [`select!`](crate::select),
//! [`join!`](crate::join) and [`try_join!`](crate::try_join).
//!
//! They are `#[macro_export]`ed, so they live at the crate root whatever module defines them.
//! Their expansions refer to helpers by `$crate::` paths: the `__select_*` / `__join_*` helper
//! macros (hidden at the crate root) and the items of [`__private`], so they work from any
//! crate, under any name the crate is imported as.
//!
//! # How `select!` expands
//! 1. A token muncher normalizes the branches: the pattern (kept as raw tokens, so it can be
//!    inspected), the future, the precondition (`true` if none) and the handler, plus the
//!    branch's index, taken from a list of the 64 possible ones as a tuple index and the name
//!    of a variant of [`__private::Out`] (`[2 _2]`).
//! 2. The preconditions are evaluated, then every future is created, converted with
//!    `IntoFuture` and pinned on the stack in a tuple.
//! 3. A `poll_fn` polls the enabled branches, starting at a random branch unless `biased;`.
//!    A completed output is checked against its pattern *by reference* (with `mut` and `ref`
//!    removed from a copy of the pattern); a mismatch disables the branch and polling goes on.
//!    A match is returned as the variant of `Out` naming the branch (the unused type
//!    parameters of `Out` are the indices left over, filled with `()`).
//! 4. The block holding the futures ends there, dropping every losing future; then the
//!    handler of the winning branch runs, matching the real pattern against the output (so the
//!    handler can `break`, `continue`, `return` or use `?` in the caller's context). When all
//!    branches are disabled, the `else` branch runs, or the macro panics.

mod join;
mod select;
mod support;

/// Items used by the expansions of evloop's declarative macros. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use super::support::*;
}
