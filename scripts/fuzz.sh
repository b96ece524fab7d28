#!/usr/bin/env bash
# Runs each libFuzzer harness (built by `make fuzz` into .build-fuzz) for FUZZ_SECONDS seconds, starting from its
# committed seeds (testdata/fuzz/<target>) and the corpus it grew on earlier runs (.cache/fuzz/<target>/corpus).
# A crash, a broken invariant, a leak or a hang (an input running over FUZZ_TIMEOUT seconds) is saved in
# .cache/fuzz/<target>/ with libFuzzer's log beside it; the script runs every target, then fails if any found one.
#
# usage: scripts/fuzz.sh TARGET...
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
timeout="${FUZZ_TIMEOUT:-10}"
status=0
# Swift's own crash reporter would read freed memory under ASan and muddle the report; libFuzzer's is enough.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
for target in "$@"; do
    out=".cache/fuzz/$target"
    mkdir -p "$out/corpus"
    flags=()
    # Every failed edit leaks 33 bytes inside libarchive (scripts/lsan.supp), and libFuzzer runs a full leak check
    # after each input that leaks: 25 times slower. Until TarWriter stops leaking, the tar target skips leak checks.
    [ "$target" = tar ] && flags+=(-detect_leaks=0)
    started=$(date +%s)
    # A hung harness is ended by libFuzzer's -timeout; `timeout` only guards against libFuzzer itself stalling.
    timeout --kill-after=10 $((seconds + 120)) ".build-fuzz/debug/ocislim-fuzz-$target" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/" "${flags[@]}" "$out/corpus" "testdata/fuzz/$target" >"$out/log" 2>&1
    result=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -n 1)
    elapsed=$(($(date +%s) - started))
    if [ "$result" -eq 0 ]; then
        echo "fuzz $target: clean, ${runs:-?} inputs in ${elapsed}s"
    else
        status=1
        echo "fuzz $target: FAILED (exit $result) after ${elapsed}s; log $out/log" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant broken|Fatal error|.*Test unit written to)' "$out/log" \
            | head -n 10 >&2
    fi
done
exit "$status"
