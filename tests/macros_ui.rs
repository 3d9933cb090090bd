//! Compile-time checks of `#[evloop::main]` and `#[evloop::test]`: accepted
//! forms build and run, rejected forms fail with the expected diagnostics.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
