//! Compile-time checks of `#[evloop::main]` and `#[evloop::test]`: accepted
//! forms build and run, rejected forms fail with the expected diagnostics.
//!
//! trybuild builds each case with cargo, for the host, from inside the test: that does not work
//! in a cross-built test binary run under Wine, and the diagnostics do not depend on the
//! platform, so they are checked on Unix only.

#![cfg(unix)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
