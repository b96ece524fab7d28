#!/usr/bin/env bash
# fault-tests.sh — what a real rewrite does when the process, the disk or another run gets in its way.
#
#   OCISLIM=path/to/ocislim scripts/fault-tests.sh      (default: .build-static/release/ocislim; run as root)
#
# Each check prints one PASS/FAIL line; the last line is exactly `faults: N passed, M failed`.
#   sigkill-T      SIGKILL T seconds into a rewrite of the real image: the output is absent or complete, every
#                  file at a final blob name in the leftovers hashes to its name, and a rerun reclaims the
#                  leftovers, succeeds and is byte-identical to an undisturbed run
#   sigint/sigterm the run exits 130/143 and leaves neither output nor staging directory
#   sigterm-at-T   a fleet job's SIGTERM T seconds into a run with --report and --digestfile (T drawn from a seeded
#                  generator, FAULT_SIGNAL_SEED, one per slice of the reference run's measured length, so the points
#                  cover the whole run): exit 143, no output, nothing left beside it (staging directory, report or
#                  digest file temp files), in TMPDIR or in the input; the rerun is byte-identical to the reference.
#                  A run that finished before its signal must have exit 0, the reference's bytes, the report and
#                  the digest file, and nothing else
#   sigterm-publishing  the same, signalled as soon as the report's JSON is written: while the output is published.
#                  A signal that comes then waits for publishing to end (before the fix, the staging directory was
#                  removed while it was renamed: a partial output, blobs missing, with exit 0 or 143)
#   sigint-at-T    the same with SIGINT (exit 130) at one more random point
#   sigterm-existing-layout  SIGTERM while a blob is written into an existing layout (oci:DIR:NAME): no temp file
#                  left among its blobs, index.json unchanged; the rerun leaves exactly the reference's blobs
#   signals-landed more than half of those signals interrupted their run (the points did land inside the runs)
#   enospc         a 24 MiB tmpfs as the output's parent: exit 2, "No space left on device", nothing left there
#   fsync-eio      fsync fails with EIO (LD_PRELOAD shim): exit 2, nothing published, nothing left
#   short-writes   write(2) writes at most 1,000 bytes a call (shim): the output is byte-identical anyway
#   read-only      the output's parent is a read-only mount: exit 2 before any layer is read
#   concurrent     a second run into the same output fails at once (exit 2, naming the lock) while the first lands
#   broken-pipe    the reader of an archive on standard output goes away: exit 2, one line, nothing left in TMPDIR
# No check asserts a duration: the kill points are spread over the run, and waits poll for a state.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=$(realpath "${OCISLIM:-.build-static/release/ocislim}")
IMG=$(realpath -m "${FAULT_IMAGE:-.cache/images/python-debian}")
WORK=${FAULT_WORK:-"$ROOT/.cache/faults"}
KILL_POINTS=${FAULT_KILL_POINTS:-"0.05 0.4 1 2 3.5"}
SIGNAL_SEED=${FAULT_SIGNAL_SEED:-11}
SIGNAL_POINTS=${FAULT_SIGNAL_POINTS:-5}
PASSED=0
FAILED=0

log() { printf '[faults %(%H:%M:%S)T] %s\n' -1 "$*"; }

# The checks mount tmpfs under $WORK from subshells; whatever is still mounted there goes at exit.
unmount_all() {
    local m
    for m in $(findmnt -rn -o TARGET | grep "^$WORK/" | sort -r); do umount "$m" || true; done
}
trap unmount_all EXIT

# run_check NAME COMMAND... — as in e2e.sh: a subshell with errexit in force, output to a log.
run_check() {
    local name=$1 logfile="$WORK/$1.log"
    shift
    local rc=0
    ( set -e; "$@" ) >"$logfile" 2>&1 &
    wait $! || rc=$?
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1)); echo "PASS $name"
    else
        FAILED=$((FAILED + 1)); echo "FAIL $name (exit $rc; log $logfile)"
        tail -n 15 "$logfile" | sed 's/^/    | /'
    fi
}

# An array, not a function: a backgrounded function runs in a subshell, and its PID ($!) would be the subshell's,
# so a signal sent to it would miss ocislim.
REWRITE=("$OCISLIM" rewrite -q --strategy drop-bytecode)

# Every file of layout $1 as "sha256  path", for byte-for-byte comparison.
tree_sums() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }

# Nothing named like a staging directory is left in directory $1.
no_staging_in() {
    local left
    left=$(find "$1" -maxdepth 1 -name '.*.ocislim*' | head -n 5)
    [[ -z "$left" ]] || { echo "left behind: $left"; return 1; }
}

# Every file at a final blob name (not a .partial- temp file) under $1 hashes to its name.
final_blobs_sound() {
    local blob name
    [[ -d "$1/blobs/sha256" ]] || return 0
    while IFS= read -r -d '' blob; do
        name=$(basename "$blob")
        [[ $name == .partial-* ]] && continue
        [[ $(sha256sum < "$blob" | cut -d' ' -f1) == "$name" ]] || { echo "wrong bytes at $blob"; return 1; }
    done < <(find "$1/blobs/sha256" -type f -print0)
}

# Starts a rewrite into $1 in the background (PID in RUN_PID) and waits until it holds its staging directory.
start_rewrite() {
    local out=$1; shift
    "${REWRITE[@]}" "$@" "$IMG" "$out" 2>"$out.stderr" &
    RUN_PID=$!
    local staging; staging="$(dirname "$out")/.$(basename "$out").ocislim"
    for _ in $(seq 1 400); do
        [[ -d "$staging/blobs" ]] && return 0
        kill -0 "$RUN_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "the rewrite never started writing into $staging"; return 1
}

# ---------------------------------------------------------------------------------------
if [[ $(id -u) -ne 0 ]]; then echo "fault-tests: must run as root (tmpfs mounts)" >&2; exit 1; fi
[[ -x "$OCISLIM" ]] || { echo "fault-tests: OCISLIM=$OCISLIM is not executable" >&2; exit 1; }
log "ensure test image $IMG"
scripts/make-test-image.sh "$IMG"
unmount_all; rm -rf "$WORK"; mkdir -p "$WORK"
input_before=$(tree_sums "$IMG" | sha256sum)

log "reference rewrite"
started=$EPOCHREALTIME
"${REWRITE[@]}" "$IMG" "$WORK/reference" >/dev/null
REFERENCE_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
REFERENCE_SUMS=$(tree_sums "$WORK/reference")
INPUT_FILES=$(cd "$IMG" && find . | LC_ALL=C sort)
log "the reference run took ${REFERENCE_SECONDS}s"

cc -shared -fPIC -O2 -o "$WORK/shim.so" scripts/faults/shim.c -ldl

check_sigkill() {
    local at=$1 dir="$WORK/kill-$1"
    mkdir -p "$dir"
    "${REWRITE[@]}" "$IMG" "$dir/out" 2>/dev/null &
    local pid=$!
    sleep "$at"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [[ -e "$dir/out" ]]; then
        [[ "$(tree_sums "$dir/out")" == "$REFERENCE_SUMS" ]] || { echo "a published output differs"; exit 1; }
        echo "the run had finished: output complete"
        return 0
    fi
    final_blobs_sound "$dir/.out.ocislim"
    "${REWRITE[@]}" "$IMG" "$dir/out" >/dev/null
    [[ "$(tree_sums "$dir/out")" == "$REFERENCE_SUMS" ]] || { echo "the rerun differs from the reference"; exit 1; }
    no_staging_in "$dir"
}

check_signal() {
    local signal=$1 expected=$2 dir="$WORK/$1"
    mkdir -p "$dir"
    start_rewrite "$dir/out" --jobs 1
    kill "-$signal" "$RUN_PID"
    local rc=0; wait "$RUN_PID" || rc=$?
    [[ $rc -eq $expected ]] || { echo "exit $rc, expected $expected"; cat "$dir/out.stderr"; exit 1; }
    [[ ! -e "$dir/out" ]] || { echo "an output appeared"; exit 1; }
    no_staging_in "$dir"
}

# signal_at SIGNAL STATUS WHEN — a rewrite as a fleet job runs it (--report, --digestfile, a private TMPDIR),
# sent SIGNAL at WHEN: a number of seconds after it starts, or `publishing` (as soon as the report's temp file has
# its JSON, which is written just before the output is published). Records in $WORK/signal-outcomes whether the
# signal interrupted the run.
signal_at() {
    local signal=$1 expected=$2 when=$3 dir="$WORK/signal-$1-$3"
    mkdir -p "$dir/parent" "$dir/tmp"
    local -a run=("${REWRITE[@]}" --report "$dir/parent/report.json" --digestfile "$dir/parent/digests"
        "$IMG" "$dir/parent/out")
    TMPDIR="$dir/tmp" "${run[@]}" >/dev/null 2>"$dir/stderr" &
    local pid=$!
    if [[ $when == publishing ]]; then
        local report="$dir/parent/.report.json.ocislim-$pid"
        while kill -0 "$pid" 2>/dev/null && [[ ! -s "$report" ]]; do sleep 0.005; done
    else
        sleep "$when"
    fi
    kill "-$signal" "$pid" 2>/dev/null || true
    local rc=0; wait "$pid" || rc=$?
    cat "$dir/stderr"
    if [[ $rc -eq 0 ]]; then
        echo "the run had finished before the signal"
        echo "finished $signal $when" >>"$WORK/signal-outcomes"
        [[ "$(tree_sums "$dir/parent/out")" == "$REFERENCE_SUMS" ]] || { echo "a published output differs"; exit 1; }
        [[ "$(ls -A "$dir/parent" | tr '\n' ' ')" == "digests out report.json " ]] ||
            { ls -A "$dir/parent"; echo "not exactly the output, the report and the digest file"; exit 1; }
        rm -rf "$dir/parent/out"
        return 0
    fi
    echo "interrupted $signal $when" >>"$WORK/signal-outcomes"
    [[ $rc -eq $expected ]] || { echo "exit $rc, expected $expected"; exit 1; }
    [[ ! -e "$dir/parent/out" ]] || { echo "an output appeared"; exit 1; }
    local left
    left=$(ls -A "$dir/parent" "$dir/tmp")
    [[ -z "$(ls -A "$dir/parent")" && -z "$(ls -A "$dir/tmp")" ]] || { echo "left behind: $left"; exit 1; }
    [[ "$(cd "$IMG" && find . | LC_ALL=C sort)" == "$INPUT_FILES" ]] || { echo "the input gained files"; exit 1; }
    TMPDIR="$dir/tmp" "${run[@]}" >/dev/null
    [[ "$(tree_sums "$dir/parent/out")" == "$REFERENCE_SUMS" ]] || { echo "the rerun differs from the reference"; exit 1; }
    [[ -s "$dir/parent/report.json" && -s "$dir/parent/digests" ]]
    rm -rf "$dir/parent/out"
}

# SIGTERM while a run adding an image to an existing layout (oci:DIR:NAME) writes a blob among the layout's own (as
# soon as a .partial- temp file is there): exit 143, no temp file left in the layout, its index.json unchanged; the
# rerun adds the image, and the layout's blobs are then exactly the reference's (an interrupted run's finished blobs
# are the same bytes).
check_sigterm_existing_layout() {
    local dir="$WORK/signal-existing" layout="$WORK/signal-existing/layout"
    mkdir -p "$layout/blobs/sha256"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
    printf '{"schemaVersion":2,"manifests":[]}' >"$layout/index.json"
    "${REWRITE[@]}" "$IMG" "oci:$layout:slim" 2>"$dir/stderr" &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null && [[ -z "$(find "$layout/blobs" -name '.partial-*' | head -n 1)" ]]; do
        sleep 0.02
    done
    kill -TERM "$pid" 2>/dev/null || true
    local rc=0; wait "$pid" || rc=$?
    cat "$dir/stderr"
    [[ $rc -eq 143 ]] || { echo "exit $rc, expected 143"; exit 1; }
    local left; left=$(find "$layout" -name '.partial-*')
    [[ -z "$left" ]] || { echo "temp files left in the layout: $left"; exit 1; }
    [[ $(cat "$layout/index.json") == '{"schemaVersion":2,"manifests":[]}' ]] || { echo "index.json changed"; exit 1; }
    "${REWRITE[@]}" "$IMG" "oci:$layout:slim" >/dev/null
    diff <(cd "$WORK/reference/blobs" && find . -type f | LC_ALL=C sort) \
        <(cd "$layout/blobs" && find . -type f | LC_ALL=C sort)
}

# SIGNAL_POINTS delays, one drawn uniformly in each slice of the first 90% of the reference run's length (a run on
# this shared machine may be a little faster than the reference; the publishing check covers the end), from bash's
# generator seeded with SIGNAL_SEED (the same seed gives the same points); then one more for SIGINT.
signal_points() {
    RANDOM=$SIGNAL_SEED
    local i
    for ((i = 0; i <= SIGNAL_POINTS; i++)); do
        awk -v d="$REFERENCE_SECONDS" -v n="$SIGNAL_POINTS" -v i="$((i % SIGNAL_POINTS))" -v u="$RANDOM" \
            'BEGIN { printf "%.2f\n", 0.9 * d * (i + u / 32768) / n }'
    done
}

check_enospc() {
    local dir="$WORK/small"
    mkdir -p "$dir"; mount -t tmpfs -o size=24m tmpfs "$dir"
    local rc=0; "${REWRITE[@]}" "$IMG" "$dir/out" 2>"$WORK/enospc.stderr" || rc=$?
    cat "$WORK/enospc.stderr"
    [[ $rc -eq 2 ]] || { echo "exit $rc, expected 2"; exit 1; }
    grep -q "is full; free space or choose another output" "$WORK/enospc.stderr"
    [[ $(wc -l < "$WORK/enospc.stderr") -eq 1 ]] || { echo "more than one line on stderr"; exit 1; }
    [[ -z "$(ls -A "$dir")" ]] || { ls -la "$dir"; echo "something was left on the full disk"; exit 1; }
}

check_fsync_eio() {
    local dir="$WORK/eio"; mkdir -p "$dir"
    local rc=0
    LD_PRELOAD="$WORK/shim.so" OCISLIM_FAULT=fsync-eio "${REWRITE[@]}" "$IMG" "$dir/out" 2>"$dir/stderr" || rc=$?
    cat "$dir/stderr"
    [[ $rc -eq 2 ]] || { echo "exit $rc, expected 2"; exit 1; }
    grep -q 'Input/output error' "$dir/stderr"
    [[ ! -e "$dir/out" ]] || { echo "published despite a failed fsync"; exit 1; }
    no_staging_in "$dir"
}

check_short_writes() {
    local dir="$WORK/short"; mkdir -p "$dir"
    LD_PRELOAD="$WORK/shim.so" OCISLIM_FAULT=short-writes "${REWRITE[@]}" "$IMG" "$dir/out"
    [[ "$(tree_sums "$dir/out")" == "$REFERENCE_SUMS" ]] || { echo "short writes changed the output"; exit 1; }
}

check_read_only() {
    local dir="$WORK/ro"
    mkdir -p "$dir"; mount -t tmpfs -o ro,size=1m tmpfs "$dir"
    local rc=0; "$OCISLIM" rewrite --strategy drop-bytecode "$IMG" "$dir/out" 2>"$WORK/ro.stderr" || rc=$?
    cat "$WORK/ro.stderr"
    [[ $rc -eq 2 ]] || { echo "exit $rc, expected 2"; exit 1; }
    grep -q 'Read-only file system' "$WORK/ro.stderr"
    # Progress lines start with "ocislim: scan" when a layer is read: there must be none.
    ! grep -q '^ocislim: scan' "$WORK/ro.stderr" || { echo "layers were read before the output was checked"; exit 1; }
}

# A reader that goes away: `rewrite … docker-archive:- | head -c 4096` must end with exit 2 (an I/O failure), one
# line naming the broken pipe, and nothing left in TMPDIR (where standard output's archive is staged); killed by
# SIGPIPE (141) it would leave its staging there.
check_broken_pipe() {
    local dir="$WORK/pipe"; mkdir -p "$dir/tmp"
    set +e
    TMPDIR="$dir/tmp" "${REWRITE[@]}" "$IMG" docker-archive:- 2>"$dir/stderr" | head -c 4096 >/dev/null
    local statuses=("${PIPESTATUS[@]}")
    set -e
    cat "$dir/stderr"
    [[ ${statuses[0]} -eq 2 ]] || { echo "exit ${statuses[0]}, expected 2"; exit 1; }
    grep -q 'Broken pipe' "$dir/stderr"
    [[ $(wc -l < "$dir/stderr") -eq 1 ]] || { echo "more than one line on stderr"; exit 1; }
    [[ -z "$(ls -A "$dir/tmp")" ]] || { ls -la "$dir/tmp"; echo "left behind in TMPDIR"; exit 1; }
}

check_concurrent() {
    local dir="$WORK/concurrent"; mkdir -p "$dir"
    start_rewrite "$dir/out" --jobs 1
    local first=$RUN_PID rc=0
    "${REWRITE[@]}" "$IMG" "$dir/out" 2>"$dir/second.stderr" || rc=$?
    cat "$dir/second.stderr"
    [[ $rc -eq 2 ]] || { echo "second run: exit $rc, expected 2"; exit 1; }
    grep -q 'is being written by another ocislim run' "$dir/second.stderr"
    wait "$first"
    [[ "$(tree_sums "$dir/out")" == "$REFERENCE_SUMS" ]] || { echo "the first run's output differs"; exit 1; }
    no_staging_in "$dir"
}

for at in $KILL_POINTS; do run_check "sigkill-$at" check_sigkill "$at"; done
run_check sigint check_signal INT 130
run_check sigterm check_signal TERM 143
log "signal points (seed $SIGNAL_SEED): $(signal_points | tr '\n' ' ')"
rm -f "$WORK/signal-outcomes"
mapfile -t points < <(signal_points)
for at in "${points[@]:0:SIGNAL_POINTS}"; do run_check "sigterm-at-$at" signal_at TERM 143 "$at"; done
run_check sigterm-publishing signal_at TERM 143 publishing
run_check "sigint-at-${points[SIGNAL_POINTS]}" signal_at INT 130 "${points[SIGNAL_POINTS]}"
run_check sigterm-existing-layout check_sigterm_existing_layout
run_check signals-landed bash -c "cat '$WORK/signal-outcomes'; (( \$(grep -c ^interrupted '$WORK/signal-outcomes') * 2 > \$(wc -l < '$WORK/signal-outcomes') ))"
run_check enospc check_enospc
run_check fsync-eio check_fsync_eio
run_check short-writes check_short_writes
run_check read-only check_read_only
run_check concurrent check_concurrent
run_check broken-pipe check_broken_pipe
run_check input-unchanged bash -c "[[ \"\$(cd '$IMG' && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum)\" == '$input_before' ]]"

rm -rf "$WORK/reference" "$WORK"/kill-* "$WORK"/signal-* "$WORK/short" "$WORK/concurrent"
echo "faults: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
