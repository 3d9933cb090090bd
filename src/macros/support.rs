//! What the expansions of [`select!`](crate::select), [`join!`](crate::join) and
//! [`try_join!`](crate::try_join) refer to through `$crate::__private`. Not public API.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

pub use std::future::{poll_fn, IntoFuture};
pub use std::pin::pin;
pub use std::task::Poll as PollState;

/// Which branch of a `select!` completed, with its output; `Disabled` when every branch was
/// disabled. A `select!` with fewer than 64 branches fills the unused parameters with `()`.
#[derive(Debug)]
pub enum Out<
    T0,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    T7,
    T8,
    T9,
    T10,
    T11,
    T12,
    T13,
    T14,
    T15,
    T16,
    T17,
    T18,
    T19,
    T20,
    T21,
    T22,
    T23,
    T24,
    T25,
    T26,
    T27,
    T28,
    T29,
    T30,
    T31,
    T32,
    T33,
    T34,
    T35,
    T36,
    T37,
    T38,
    T39,
    T40,
    T41,
    T42,
    T43,
    T44,
    T45,
    T46,
    T47,
    T48,
    T49,
    T50,
    T51,
    T52,
    T53,
    T54,
    T55,
    T56,
    T57,
    T58,
    T59,
    T60,
    T61,
    T62,
    T63,
> {
    /// Branch 0 completed with this output.
    _0(T0),
    /// Branch 1 completed with this output.
    _1(T1),
    /// Branch 2 completed with this output.
    _2(T2),
    /// Branch 3 completed with this output.
    _3(T3),
    /// Branch 4 completed with this output.
    _4(T4),
    /// Branch 5 completed with this output.
    _5(T5),
    /// Branch 6 completed with this output.
    _6(T6),
    /// Branch 7 completed with this output.
    _7(T7),
    /// Branch 8 completed with this output.
    _8(T8),
    /// Branch 9 completed with this output.
    _9(T9),
    /// Branch 10 completed with this output.
    _10(T10),
    /// Branch 11 completed with this output.
    _11(T11),
    /// Branch 12 completed with this output.
    _12(T12),
    /// Branch 13 completed with this output.
    _13(T13),
    /// Branch 14 completed with this output.
    _14(T14),
    /// Branch 15 completed with this output.
    _15(T15),
    /// Branch 16 completed with this output.
    _16(T16),
    /// Branch 17 completed with this output.
    _17(T17),
    /// Branch 18 completed with this output.
    _18(T18),
    /// Branch 19 completed with this output.
    _19(T19),
    /// Branch 20 completed with this output.
    _20(T20),
    /// Branch 21 completed with this output.
    _21(T21),
    /// Branch 22 completed with this output.
    _22(T22),
    /// Branch 23 completed with this output.
    _23(T23),
    /// Branch 24 completed with this output.
    _24(T24),
    /// Branch 25 completed with this output.
    _25(T25),
    /// Branch 26 completed with this output.
    _26(T26),
    /// Branch 27 completed with this output.
    _27(T27),
    /// Branch 28 completed with this output.
    _28(T28),
    /// Branch 29 completed with this output.
    _29(T29),
    /// Branch 30 completed with this output.
    _30(T30),
    /// Branch 31 completed with this output.
    _31(T31),
    /// Branch 32 completed with this output.
    _32(T32),
    /// Branch 33 completed with this output.
    _33(T33),
    /// Branch 34 completed with this output.
    _34(T34),
    /// Branch 35 completed with this output.
    _35(T35),
    /// Branch 36 completed with this output.
    _36(T36),
    /// Branch 37 completed with this output.
    _37(T37),
    /// Branch 38 completed with this output.
    _38(T38),
    /// Branch 39 completed with this output.
    _39(T39),
    /// Branch 40 completed with this output.
    _40(T40),
    /// Branch 41 completed with this output.
    _41(T41),
    /// Branch 42 completed with this output.
    _42(T42),
    /// Branch 43 completed with this output.
    _43(T43),
    /// Branch 44 completed with this output.
    _44(T44),
    /// Branch 45 completed with this output.
    _45(T45),
    /// Branch 46 completed with this output.
    _46(T46),
    /// Branch 47 completed with this output.
    _47(T47),
    /// Branch 48 completed with this output.
    _48(T48),
    /// Branch 49 completed with this output.
    _49(T49),
    /// Branch 50 completed with this output.
    _50(T50),
    /// Branch 51 completed with this output.
    _51(T51),
    /// Branch 52 completed with this output.
    _52(T52),
    /// Branch 53 completed with this output.
    _53(T53),
    /// Branch 54 completed with this output.
    _54(T54),
    /// Branch 55 completed with this output.
    _55(T55),
    /// Branch 56 completed with this output.
    _56(T56),
    /// Branch 57 completed with this output.
    _57(T57),
    /// Branch 58 completed with this output.
    _58(T58),
    /// Branch 59 completed with this output.
    _59(T59),
    /// Branch 60 completed with this output.
    _60(T60),
    /// Branch 61 completed with this output.
    _61(T61),
    /// Branch 62 completed with this output.
    _62(T62),
    /// Branch 63 completed with this output.
    _63(T63),
    /// Every branch was disabled.
    Disabled,
}

thread_local! {
    /// The state of this thread's xorshift generator; zero until first used.
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A pseudo-random index below `n` (0 if `n` is 0), from a per-thread xorshift generator
/// seeded from the standard library's per-process random hasher keys.
pub fn random_index(n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    RNG.with(|rng| {
        let mut x = rng.get();
        if x == 0 {
            use std::hash::{BuildHasher, Hasher};
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_usize(&x as *const u64 as usize);
            x = hasher.finish() | 1;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rng.set(x);
        // Multiply-shift maps the 64-bit value onto 0..n without a division.
        ((u128::from(x) * n as u128) >> 64) as usize
    })
}

pin_project! {
    /// A future of a `join!` together with its output once it has completed.
    #[derive(Debug)]
    pub struct MaybeDone<F: Future> {
        #[pin]
        future: Option<F>,
        output: Option<F::Output>,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not completed.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone {
            future: Some(future),
            output: None,
        }
    }

    /// Polls the future unless it has completed; `Ready` once it has. The future is dropped as
    /// soon as it completes.
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let output = ready!(future.poll(cx));
        this.future.set(None);
        *this.output = Some(output);
        Poll::Ready(())
    }

    /// Takes the output of a completed future.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project().output.take() {
            Some(output) => output,
            None => unreachable!("join! output taken before completion or twice"),
        }
    }
}

impl<F, T, E> MaybeDone<F>
where
    F: Future<Output = Result<T, E>>,
{
    /// Like [`poll_done`](MaybeDone::poll_done) for a fallible future: an `Err` is passed
    /// straight to the caller instead of being stored.
    pub fn poll_try(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), E>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Ok(()));
        };
        let output = ready!(future.poll(cx));
        this.future.set(None);
        match output {
            Ok(value) => {
                *this.output = Some(Ok(value));
                Poll::Ready(Ok(()))
            }
            Err(err) => Poll::Ready(Err(err)),
        }
    }

    /// Takes the `Ok` output of a completed fallible future.
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.project().output.take() {
            Some(Ok(value)) => value,
            _ => unreachable!("try_join! output taken before completion or twice"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn random_index_stays_in_range_and_varies() {
        let mut seen = [0usize; 3];
        for _ in 0..3000 {
            seen[random_index(3)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 500), "{seen:?}");
        assert_eq!(random_index(0), 0);
        assert_eq!(random_index(1), 0);
    }
}
