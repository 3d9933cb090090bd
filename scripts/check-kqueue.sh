#!/usr/bin/env bash
# Type-checks the kqueue backend, and the whole crate with its tests, examples and benchmarks,
# for the kqueue platforms (macOS, FreeBSD, NetBSD, OpenBSD), from a Linux machine.
#
# Nothing here can run those binaries; a clean check with warnings denied is the bar. It uses a
# second Rust toolchain from the distribution's packages (`rustc-web`, `cargo-web`) with the
# standard library's source (`rust-web-src`), so that `-Zbuild-std` compiles `std` for each
# target and no prebuilt target library is needed. The first check of a target builds its
# `std` (about 45 s); later ones reuse it from `target/cross`.
#
# Usage, from anywhere in the repository:  scripts/check-kqueue.sh [TARGET...]
# With no arguments it checks every target in TARGETS below and stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(
    aarch64-apple-darwin
    x86_64-unknown-freebsd
    x86_64-unknown-netbsd
    x86_64-unknown-openbsd
)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
fi

# The toolchain: /usr/bin/cargo and /usr/bin/rustc from the packages, and std's source, which
# `rust-web-src` installs under /usr/src/rustc-<version> and links from /usr/lib/rustlib/src/rust.
if ! { [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] &&
    [ -d /usr/lib/rustlib/src/rust/library/std ]; }; then
    echo "==> installing rustc-web cargo-web rust-web-src"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update
    $sudo apt-get install -y rustc-web cargo-web rust-web-src
fi

# Use that toolchain even where rustup's proxies come first on PATH; RUSTC_BOOTSTRAP unlocks
# `-Zbuild-std` on a stable compiler.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-D warnings"
# A target directory of its own: these builds never contend with, or invalidate, the host's.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/cross}"

for target in "${TARGETS[@]}"; do
    echo "==> cargo check --target $target --all-targets"
    start=$(date +%s)
    /usr/bin/cargo check -Zbuild-std=std,panic_abort --target "$target" --all-targets
    echo "==> $target: ok in $(($(date +%s) - start)) s"
done
echo "==> kqueue targets: all passed"
