//! [`select!`](crate::select): wait on several futures, run the branch of the first to complete.

/// Waits on several futures at once and runs the handler of the first one to complete,
/// dropping the others.
///
/// ```text
/// evloop::select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <handler>]
/// }
/// ```
///
/// 1. Every `<precondition>` is evaluated; a branch whose precondition is `false` is disabled.
/// 2. Every `<future>` expression is evaluated (disabled ones too) and the results are pinned
///    on the stack; anything implementing `IntoFuture` is accepted.
/// 3. The enabled futures are polled until one completes. Each round starts at a randomly
///    chosen branch, so no branch is favoured; with `biased;` as the first token they are
///    polled in the order written instead (cheaper, and the order becomes a priority).
/// 4. If the output of a completed future does not match its `<pattern>`, that branch is
///    disabled and the others are polled on. If it matches, every other future is dropped and
///    the branch's `<handler>` runs with the pattern's bindings; its value is the value of the
///    `select!`.
/// 5. If every branch is disabled, the `else` handler runs; without an `else` branch,
///    `select!` panics with "all branches are disabled and there is no else branch".
///
/// Handlers run in the enclosing function: `return`, `?`, `break` and `continue` in them act on
/// the code around the `select!`. Futures are not required to be `Unpin`. To wait on the same
/// future across loop iterations, create it outside the loop, pin it and pass `&mut fut`.
///
/// Up to 64 branches are supported (tokio's limit too).
///
/// # Examples
///
/// The first to complete wins; the losing sleep is dropped:
/// ```
/// use std::time::Duration;
/// use evloop::sync::oneshot;
///
/// # evloop::block_on(async {
/// let (tx, rx) = oneshot::channel();
/// tx.send("message").unwrap();
/// let winner = evloop::select! {
///     msg = rx => msg.unwrap(),
///     _ = evloop::time::sleep(Duration::from_secs(60)) => "timeout",
/// };
/// assert_eq!(winner, "message");
/// # });
/// ```
///
/// A loop over a channel with a precondition, a pattern that disables the branch when the
/// channel ends, and an `else` branch:
/// ```
/// use evloop::sync::mpsc;
///
/// # evloop::block_on(async {
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// for i in 1..=3 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// let mut sum = 0;
/// let mut open = true;
/// loop {
///     evloop::select! {
///         Some(n) = rx.recv(), if open => sum += n,
///         else => break,
///     }
///     if sum == 6 {
///         open = false;
///     }
/// }
/// assert_eq!(sum, 6);
/// # });
/// ```
///
/// `biased;` polls in order, so an always-ready first branch always wins:
/// ```
/// # evloop::block_on(async {
/// let first = evloop::select! {
///     biased;
///     a = async { 1 } => a,
///     b = async { 2 } => b,
/// };
/// assert_eq!(first, 1);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)*) => {
        $crate::__select_parse! { @start (true) $($branches)* }
    };
    ($($branches:tt)*) => {
        $crate::__select_parse! { @start (false) $($branches)* }
    };
}

/// Normalizes `select!`'s branches; see `src/macros/mod.rs`.
///
/// State: `@parse (biased) (unused indices) (branches so far) rest...`, and while a long
/// pattern is being collected, `@pat (biased) (unused indices) (branches) (pattern so far)
/// rest...`. An index is `[tuple_index variant]`; each branch takes the first unused one. A
/// finished branch is `[index variant (pattern tokens) (future) (precondition) (handler)]`.
///
/// Patterns of one or two tokens (`_`, `v`, `Some(v)`, `Ok(v)`) are recognized in the same
/// step as the rest of their branch, so each such branch costs one level of macro recursion.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    (@start $biased:tt $($branches:tt)*) => {
        $crate::__select_parse! {
            @parse $biased (
                [0 _0] [1 _1] [2 _2] [3 _3] [4 _4] [5 _5] [6 _6] [7 _7]
                [8 _8] [9 _9] [10 _10] [11 _11] [12 _12] [13 _13] [14 _14] [15 _15]
                [16 _16] [17 _17] [18 _18] [19 _19] [20 _20] [21 _21] [22 _22] [23 _23]
                [24 _24] [25 _25] [26 _26] [27 _27] [28 _28] [29 _29] [30 _30] [31 _31]
                [32 _32] [33 _33] [34 _34] [35 _35] [36 _36] [37 _37] [38 _38] [39 _39]
                [40 _40] [41 _41] [42 _42] [43 _43] [44 _44] [45 _45] [46 _46] [47 _47]
                [48 _48] [49 _49] [50 _50] [51 _51] [52 _52] [53 _53] [54 _54] [55 _55]
                [56 _56] [57 _57] [58 _58] [59 _59] [60 _60] [61 _61] [62 _62] [63 _63]
            ) () $($branches)*
        }
    };

    // The end.
    (@parse $biased:tt $unused:tt ()) => {
        ::core::compile_error!("select! requires at least one branch.")
    };
    (@parse $biased:tt $unused:tt ($($branches:tt)+)) => {
        $crate::__select_emit! {
            $biased $unused ($($branches)+)
            (::core::panic!("all branches are disabled and there is no else branch"))
        }
    };
    (@parse $biased:tt $unused:tt ($($branches:tt)*) else => $else:expr $(,)?) => {
        $crate::__select_emit! { $biased $unused ($($branches)*) ($else) }
    };
    (@parse $biased:tt () $branches:tt $($rest:tt)+) => {
        ::core::compile_error!("select! supports at most 64 branches")
    };

    // A branch whose pattern is one token.
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt = $f:expr $(, if $c:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt = $f:expr $(, if $c:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt = $f:expr $(, if $c:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt = $f:expr $(, if $c:expr)? => $h:expr) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1) ($f) (true $(&& $c)?) ($h)])
        }
    };

    // A branch whose pattern is two tokens.
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt $p2:tt = $f:expr $(, if $c:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1 $p2) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt $p2:tt = $f:expr $(, if $c:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1 $p2) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt $p2:tt = $f:expr $(, if $c:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1 $p2) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@parse $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*)
        $p1:tt $p2:tt = $f:expr $(, if $c:expr)? => $h:expr) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($p1 $p2) ($f) (true $(&& $c)?) ($h)])
        }
    };

    // Any other branch: collect its pattern, a few tokens per step, up to the `=`.
    (@parse $b:tt $unused:tt $branches:tt $($rest:tt)+) => {
        $crate::__select_parse! { @pat $b $unused $branches () $($rest)+ }
    };

    (@pat $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*) ($($p:tt)*)
        = $f:expr $(, if $c:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($($p)*) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@pat $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*) ($($p:tt)*)
        = $f:expr $(, if $c:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($($p)*) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@pat $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*) ($($p:tt)*)
        = $f:expr $(, if $c:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($($p)*) ($f) (true $(&& $c)?) ($h)]) $($rest)*
        }
    };
    (@pat $b:tt ([$n:tt $v:ident] $($u:tt)*) ($($br:tt)*) ($($p:tt)*)
        = $f:expr $(, if $c:expr)? => $h:expr) => {
        $crate::__select_parse! {
            @parse $b ($($u)*) ($($br)* [$n $v ($($p)*) ($f) (true $(&& $c)?) ($h)])
        }
    };
    (@pat $b:tt $unused:tt $br:tt $p:tt = $($rest:tt)*) => {
        ::core::compile_error!(
            "expected `<pattern> = <future>[, if <condition>] => <handler>,` in select!"
        )
    };

    // Still in the pattern: move up to four tokens that are not `=` into it.
    (@pat $b:tt $u:tt $br:tt ($($p:tt)*) $t1:tt = $($rest:tt)*) => {
        $crate::__select_parse! { @pat $b $u $br ($($p)* $t1) = $($rest)* }
    };
    (@pat $b:tt $u:tt $br:tt ($($p:tt)*) $t1:tt $t2:tt = $($rest:tt)*) => {
        $crate::__select_parse! { @pat $b $u $br ($($p)* $t1 $t2) = $($rest)* }
    };
    (@pat $b:tt $u:tt $br:tt ($($p:tt)*) $t1:tt $t2:tt $t3:tt = $($rest:tt)*) => {
        $crate::__select_parse! { @pat $b $u $br ($($p)* $t1 $t2 $t3) = $($rest)* }
    };
    (@pat $b:tt $u:tt $br:tt ($($p:tt)*) $t1:tt $t2:tt $t3:tt $t4:tt $($rest:tt)+) => {
        $crate::__select_parse! { @pat $b $u $br ($($p)* $t1 $t2 $t3 $t4) $($rest)+ }
    };
    (@pat $($rest:tt)*) => {
        ::core::compile_error!(
            "expected `<pattern> = <future>[, if <condition>] => <handler>,` in select!"
        )
    };
}

/// Generates `select!`'s code from the normalized branches; see `src/macros/mod.rs`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_emit {
    // Only an `else` branch.
    ($biased:tt $unused:tt () ($($else:tt)*)) => {
        $($else)*
    };
    (
        $biased:tt ($([$un:tt $uv:ident])*)
        ($([$n:tt $v:ident ($($p:tt)*) ($f:expr) ($c:expr) ($($h:tt)*)])*)
        ($($else:tt)*)
    ) => {{
        const __SELECT_BRANCHES: usize = <[usize]>::len(&[$($n),*]);
        let mut __select_disabled: [bool; __SELECT_BRANCHES] = [$(!$c),*];
        #[allow(unused_mut)]
        let mut __select_output: $crate::__private::Out<
            $($crate::__select_infer!($n),)* $($crate::__select_unit!($un),)*
        > = {
            let mut __select_futures = ($(
                $crate::__private::pin!($crate::__private::IntoFuture::into_future($f)),
            )*);
            $crate::__private::poll_fn(|__select_cx| {
                let __select_start: usize = if $biased {
                    0
                } else {
                    $crate::__private::random_index(__SELECT_BRANCHES)
                };
                let mut __select_pending = false;
                for __select_offset in 0..__SELECT_BRANCHES {
                    let mut __select_branch = __select_start + __select_offset;
                    if __select_branch >= __SELECT_BRANCHES {
                        __select_branch -= __SELECT_BRANCHES;
                    }
                    $(
                        if __select_branch == $n {
                            if __select_disabled[$n] {
                                continue;
                            }
                            let __select_out = match ::core::future::Future::poll(
                                __select_futures.$n.as_mut(),
                                __select_cx,
                            ) {
                                $crate::__private::PollState::Ready(out) => out,
                                $crate::__private::PollState::Pending => {
                                    __select_pending = true;
                                    continue;
                                }
                            };
                            __select_disabled[$n] = true;
                            #[allow(unused_variables, unused_mut, unreachable_patterns)]
                            match &__select_out {
                                $crate::__select_clean_pattern!($($p)*) => {}
                                _ => continue,
                            }
                            return $crate::__private::PollState::Ready(
                                $crate::__private::Out::$v(__select_out),
                            );
                        }
                    )*
                }
                if __select_pending {
                    $crate::__private::PollState::Pending
                } else {
                    $crate::__private::PollState::Ready($crate::__private::Out::Disabled)
                }
            })
            .await
        };
        match __select_output {
            $(
                $crate::__private::Out::$v($($p)*) => $($h)*,
            )*
            $crate::__private::Out::Disabled => $($else)*,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select! produced an output for no branch"),
        }
    }};
}

/// `_` (an inferred type), whatever the argument.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_infer {
    ($($ignored:tt)*) => {
        _
    };
}

/// `()`, whatever the argument.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_unit {
    ($($ignored:tt)*) => {
        ()
    };
}

/// A copy of a pattern without `mut` and `ref` binding modes, so that it can be matched against
/// a reference to the output without moving out of it. Groups are cleaned recursively with an
/// explicit stack: `@clean (stack) (output so far) input...`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_clean_pattern {
    (@clean () ($($out:tt)*)) => { $($out)* };
    (@clean ([paren ($($o:tt)*) ($($r:tt)*)] $($stack:tt)*) ($($out:tt)*)) => {
        $crate::__select_clean_pattern!(@clean ($($stack)*) ($($o)* ($($out)*)) $($r)*)
    };
    (@clean ([bracket ($($o:tt)*) ($($r:tt)*)] $($stack:tt)*) ($($out:tt)*)) => {
        $crate::__select_clean_pattern!(@clean ($($stack)*) ($($o)* [$($out)*]) $($r)*)
    };
    (@clean ([brace ($($o:tt)*) ($($r:tt)*)] $($stack:tt)*) ($($out:tt)*)) => {
        $crate::__select_clean_pattern!(@clean ($($stack)*) ($($o)* {$($out)*}) $($r)*)
    };
    (@clean $stack:tt ($($out:tt)*) & mut $($rest:tt)*) => {
        $crate::__select_clean_pattern!(@clean $stack ($($out)* &mut) $($rest)*)
    };
    (@clean $stack:tt ($($out:tt)*) mut $($rest:tt)*) => {
        $crate::__select_clean_pattern!(@clean $stack ($($out)*) $($rest)*)
    };
    (@clean $stack:tt ($($out:tt)*) ref $($rest:tt)*) => {
        $crate::__select_clean_pattern!(@clean $stack ($($out)*) $($rest)*)
    };
    (@clean ($($stack:tt)*) ($($out:tt)*) ($($inner:tt)*) $($rest:tt)*) => {
        $crate::__select_clean_pattern!(
            @clean ([paren ($($out)*) ($($rest)*)] $($stack)*) () $($inner)*
        )
    };
    (@clean ($($stack:tt)*) ($($out:tt)*) [$($inner:tt)*] $($rest:tt)*) => {
        $crate::__select_clean_pattern!(
            @clean ([bracket ($($out)*) ($($rest)*)] $($stack)*) () $($inner)*
        )
    };
    (@clean ($($stack:tt)*) ($($out:tt)*) {$($inner:tt)*} $($rest:tt)*) => {
        $crate::__select_clean_pattern!(
            @clean ([brace ($($out)*) ($($rest)*)] $($stack)*) () $($inner)*
        )
    };
    (@clean $stack:tt ($($out:tt)*) $t:tt $($rest:tt)*) => {
        $crate::__select_clean_pattern!(@clean $stack ($($out)* $t) $($rest)*)
    };
    ($($pattern:tt)*) => {
        $crate::__select_clean_pattern!(@clean () () $($pattern)*)
    };
}
