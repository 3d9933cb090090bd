//! [`join!`](crate::join) and [`try_join!`](crate::try_join): wait on several futures
//! concurrently, for all of their outputs.

/// Waits on several futures concurrently and returns a tuple of all their outputs.
///
/// The futures run concurrently on the *current task* (they are polled in turn, not spawned),
/// so `join!` needs no `'static` or `Send` bounds. Each poll starts with a different future, so
/// none is favoured; with `biased;` as the first token they are polled in the order written.
/// Anything implementing `IntoFuture` is accepted.
///
/// ```
/// use std::time::Duration;
///
/// # evloop::block_on(async {
/// let (a, b, c) = evloop::join!(
///     async { 1 },
///     async {
///         evloop::time::sleep(Duration::from_millis(5)).await;
///         "two"
///     },
///     std::future::ready(3.0),
/// );
/// assert_eq!((a, b, c), (1, "two", 3.0));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    (biased; $($future:expr),* $(,)?) => {
        $crate::__join_parse!(@start poll_done (true) $($future,)*)
    };
    ($($future:expr),* $(,)?) => {
        $crate::__join_parse!(@start poll_done (false) $($future,)*)
    };
}

/// Waits on several fallible futures concurrently; returns `Ok` with a tuple of all their
/// `Ok` values, or the first `Err`, at which point the other futures are dropped.
///
/// All the futures must have the same error type. Like [`join!`](crate::join), the futures
/// run on the current task, each poll starts with a different one, and `biased;` polls them in
/// order.
///
/// ```
/// # evloop::block_on(async {
/// async fn parse(s: &str) -> Result<i32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// let ok = evloop::try_join!(parse("1"), parse("2"));
/// assert_eq!(ok, Ok((1, 2)));
///
/// let err = evloop::try_join!(parse("1"), parse("x"), std::future::pending::<Result<(), _>>());
/// assert!(err.is_err()); // the pending future did not stop the error
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    (biased; $($future:expr),* $(,)?) => {
        $crate::__join_parse!(@start poll_try (true) $($future,)*)
    };
    ($($future:expr),* $(,)?) => {
        $crate::__join_parse!(@start poll_try (false) $($future,)*)
    };
}

/// Gives each future of `join!`/`try_join!` its tuple index, then generates the code.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_parse {
    (@start $mode:ident $biased:tt $($futures:tt)*) => {
        $crate::__join_parse!(
            @next $mode $biased (
                0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
                16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
                32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47
                48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
            ) () $($futures)*
        )
    };
    (@next $mode:ident $biased:tt ($n:tt $($unused:tt)*) ($($done:tt)*) $future:expr, $($rest:tt)*) => {
        $crate::__join_parse!(@next $mode $biased ($($unused)*) ($($done)* [$n ($future)]) $($rest)*)
    };
    (@next $mode:ident $biased:tt () $done:tt $($rest:tt)+) => {
        ::core::compile_error!("join! and try_join! support at most 64 futures")
    };
    (@next $mode:ident $biased:tt $unused:tt $futures:tt) => {
        $crate::__join_emit!($mode $biased $futures)
    };
}

/// Generates the code of `join!` (`poll_done`) and `try_join!` (`poll_try`).
#[doc(hidden)]
#[macro_export]
macro_rules! __join_emit {
    // Nothing to wait for.
    (poll_done $biased:tt ()) => {
        ()
    };
    (poll_try $biased:tt ()) => {
        ::core::result::Result::Ok(())
    };
    ($mode:ident $biased:tt ($([$n:tt ($f:expr)])*)) => {{
        const __JOIN_FUTURES: usize = <[usize]>::len(&[$($n),*]);
        let mut __join_futures = ($(
            $crate::__private::pin!($crate::__private::MaybeDone::new(
                $crate::__private::IntoFuture::into_future($f)
            )),
        )*);
        let mut __join_next_start: usize = 0;
        $crate::__private::poll_fn(|__join_cx| {
            let __join_start = __join_next_start;
            if !$biased {
                __join_next_start = if __join_start + 1 >= __JOIN_FUTURES {
                    0
                } else {
                    __join_start + 1
                };
            }
            let mut __join_done = true;
            for __join_offset in 0..__JOIN_FUTURES {
                let mut __join_index = __join_start + __join_offset;
                if __join_index >= __JOIN_FUTURES {
                    __join_index -= __JOIN_FUTURES;
                }
                $(
                    if __join_index == $n {
                        $crate::__join_poll_one!(
                            $mode __join_futures.$n.as_mut(), __join_cx, __join_done
                        );
                    }
                )*
            }
            if !__join_done {
                return $crate::__private::PollState::Pending;
            }
            $crate::__join_output!($mode ($(__join_futures.$n.as_mut(),)*))
        })
        .await
    }};
}

/// Polls one future of a `join!`/`try_join!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_poll_one {
    (poll_done $future:expr, $cx:ident, $done:ident) => {
        if $crate::__private::MaybeDone::poll_done($future, $cx).is_pending() {
            $done = false;
        }
    };
    (poll_try $future:expr, $cx:ident, $done:ident) => {
        match $crate::__private::MaybeDone::poll_try($future, $cx) {
            $crate::__private::PollState::Ready(::core::result::Result::Ok(())) => {}
            $crate::__private::PollState::Ready(::core::result::Result::Err(err)) => {
                return $crate::__private::PollState::Ready(::core::result::Result::Err(err));
            }
            $crate::__private::PollState::Pending => $done = false,
        }
    };
}

/// The ready output of a `join!`/`try_join!` whose futures have all completed.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_output {
    (poll_done ($($future:expr,)*)) => {
        $crate::__private::PollState::Ready(($($crate::__private::MaybeDone::take_output($future),)*))
    };
    (poll_try ($($future:expr,)*)) => {
        $crate::__private::PollState::Ready(::core::result::Result::Ok((
            $($crate::__private::MaybeDone::take_ok($future),)*
        )))
    };
}
