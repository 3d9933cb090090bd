#!/usr/bin/env bash
# System calls per round trip of the `tcp_echo` workload, for each runtime.
#
# The floor is one `read` and one `write` per message per side: with client
# and server in the same process, 4 calls per round trip (client write,
# server read, server write, client read). Everything above that is what a
# runtime spends on readiness (epoll), wake-ups (eventfd, futex) and reads
# that would block.
#
# For each peer this runs
#   cargo bench --bench compare -- --only tcp_echo --quick --runs 1 --peer NAME
# with the benchmark binary (not cargo) under `strace -c -f`, through
# cargo's per-target runner setting, and divides the calls of the read/write,
# recvfrom/sendto, epoll, eventfd and futex families by the round trips the
# run made (the warm-up round plus the measured one, at the quick size).
# Runtime start-up, connection set-up and shutdown are included; against
# 200,000 round trips they are noise.
#
# Usage: bash benches/syscalls.sh [PEER...]   (default: evloop tokio smol)
set -euo pipefail

if ! command -v strace >/dev/null 2>&1; then
    echo "syscalls.sh: strace is not installed; no system-call counts (install strace, e.g. 'apt-get install strace', to get them)."
    exit 0
fi

cd "$(dirname "$0")/.."

peers=("$@")
if [ ${#peers[@]} -eq 0 ]; then
    peers=(evloop tokio smol)
fi

runs=1
workload=tcp_echo
families='^(read|readv|pread64|write|writev|pwrite64|recvfrom|recvmsg|sendto|sendmsg|epoll_wait|epoll_pwait|epoll_pwait2|epoll_ctl|eventfd|eventfd2|futex)$'

# Build first, so that the traced runs only run.
cargo bench --bench compare --no-run >/dev/null 2>&1 || cargo bench --bench compare --no-run

# Full size of the workload from `--list` (the quick size is a tenth of it).
full=$(cargo bench --bench compare -q -- --list 2>/dev/null |
    awk -v w="$workload" '$2 == w { gsub(",", "", $3); print $3 }')
if [ -z "$full" ]; then
    echo "syscalls.sh: cannot find the size of $workload in --list" >&2
    exit 1
fi
round_trips=$(((full / 10) * (runs + 1)))

# cargo's runner for the host target: CARGO_TARGET_<TRIPLE>_RUNNER.
host=$(rustc -vV | sed -n 's/^host: //p')
runner_var="CARGO_TARGET_$(echo "$host" | tr 'a-z.-' 'A-Z__')_RUNNER"

out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT

echo "system calls per $workload round trip ($round_trips round trips: quick size, 1 warm-up + $runs measured run; floor 4 = one read and one write per message per side)"
for peer in "${peers[@]}"; do
    trace="$out_dir/$peer.strace"
    if ! env "$runner_var=strace -c -f -o $trace" \
        cargo bench --bench compare -q -- --only "$workload" --quick --runs "$runs" --peer "$peer" \
        >"$out_dir/$peer.stdout" 2>"$out_dir/$peer.stderr"; then
        echo "$peer: the traced run failed:" >&2
        tail -n 20 "$out_dir/$peer.stderr" >&2
        exit 1
    fi
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall.
    awk -v peer="$peer" -v rt="$round_trips" -v fam="$families" '
        $NF ~ fam && $4 ~ /^[0-9]+$/ { calls[$NF] += $4; sum += $4 }
        $NF == "total" && $4 ~ /^[0-9]+$/ { total = $4 }
        END {
            detail = ""
            n = split("read readv recvfrom recvmsg write writev sendto sendmsg epoll_wait epoll_pwait epoll_pwait2 epoll_ctl eventfd eventfd2 futex", order, " ")
            for (i = 1; i <= n; i++) {
                s = order[i]
                if (calls[s] > 0) detail = detail sprintf("%s %.2f, ", s, calls[s] / rt)
            }
            sub(/, $/, "", detail)
            printf "%-7s %6.2f syscalls/round trip (%s); all syscalls: %.2f/round trip\n", peer ":", sum / rt, detail, total / rt
        }' "$trace"
done
