#!/usr/bin/env bash
# e2e.sh — end-to-end acceptance run of `ocislim rewrite` on a real Debian + Python image.
#
#   OCISLIM=path/to/ocislim scripts/e2e.sh        (default: .build-static/release/ocislim)
#
# Environment knobs:
#   OCISLIM          the binary under test
#   E2E_STRATEGIES   strategies to run (default: "dedup drop-optimized drop-bytecode
#                    drop-bytecode+zstd sourceless sourceless+hook"; sourceless+hook is `--strategy
#                    sourceless --source-hook` with CPython's test package kept as source: its tests
#                    open their own fixture files by path, which no import hook can serve;
#                    drop-bytecode+zstd is `--strategy drop-bytecode --compression zstd`, a light
#                    variant: no CPython tests, since its tars are drop-bytecode's, checked by i-zstd)
#   E2E_IMAGE        input layout (default: .cache/images/python-debian, built by
#                    scripts/make-test-image.sh when missing)
#   E2E_CPYTHON_TESTS 1 (default) runs check j, CPython's own regression tests; 0 skips it
#   E2E_CPYTHON_STRATEGIES the strategies check j runs for (default: all; `make test` names the two that change what
#                    Python loads, drop-bytecode and sourceless+hook: dedup only links identical files and
#                    drop-optimized removes bytecode that the tests, run without -O, never load; CI runs all)
#   E2E_CPYTHON_INFORMATIONAL 1 (default) also runs check j for strategies it never judges (sourceless,
#                    whose changed cases are only recorded for review; sourceless+hook runs them anyway,
#                    its judged traceback/inspect check reads them); `make test` sets 0 to keep its time
#
# For each strategy S the image is rewritten to .cache/e2e/S/out (timed with GNU time for
# the peak RSS) and the result is checked; each check prints one PASS/FAIL line:
#   rewrite  ocislim exits 0, OUTPUT exists, the --report file is valid JSON
#   a        oci-image-tool validate accepts OUTPUT
#   b        umoci unpacks OUTPUT:latest
#            (umoci 0.4 and oci-image-tool 1.0.0-rc1 predate zstd layers: for +zstd, a and b read the
#            gzip copy that check a0 has skopeo make, decoding our zstd with its own Go decoder)
#   c        skopeo inspects oci:OUTPUT:latest
#   d        scripts/check-layout.py: blob digests, descriptor sizes, diff_ids
#   g        the pyc deleted by layer 3 (a whiteout) is still absent
#   i-*      strategy-specific: see check_strategy_static / check_no_new_pyc
#   e        python-probe.py gives the same output as on the original image (both interpreters)
#   f        the image Cmd prints the same output as on the original image
#   h        a second rewrite produces a byte-identical layout (diff -r); for +zstd the second
#            run has --jobs 1, so the bytes must not depend on the number of compressing threads
#   j        scripts/cpython-tests.sh (a subset of CPython's regression tests, from Debian's
#            libpython3.11-testsuite in the image) in the rewritten rootfs, compared test case
#            by test case with the original image's results. Per strategy (CPYTHON_TESTS_MODE):
#            must-not-regress: fails if any case fails that does not fail on the original;
#            informational: never fails. Both write the changed cases to S/cpython-tests-diff.txt.
# Checks that look at files (g, i-static) run before anything executes Python in the
# rewritten rootfs, since Python may write pycs on import.
# The last line is exactly `e2e: N passed, M failed`; the exit status is non-zero if M > 0.
# Work files live under .cache/e2e/ (git-ignored); the original image's unpacked rootfs,
# its probe outputs and its CPython test results are cached there, keyed by image digest
# and script hashes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCRIPTS="$ROOT/scripts"

OCISLIM=${OCISLIM:-.build-static/release/ocislim}
STRATEGIES=${E2E_STRATEGIES:-"dedup drop-optimized drop-bytecode drop-bytecode+zstd sourceless sourceless+hook"}

# The ocislim arguments of a strategy name as e2e spells it, one per line.
strategy_args() {
    case $1 in
    sourceless+hook) printf '%s\n' --strategy sourceless --source-hook --keep '/usr/lib/python3.11/test/**' ;;
    drop-bytecode+zstd) printf '%s\n' --strategy drop-bytecode --compression zstd ;;
    *) printf '%s\n' --strategy "$1" ;;
    esac
}
IMG=${E2E_IMAGE:-.cache/images/python-debian}
TAG=latest
WORK=.cache/e2e
ORIG="$WORK/orig"
ORIG_CPY="$WORK/orig-cpython-tests"
CPYTHON_TESTS=${E2E_CPYTHON_TESTS:-1}
CPYTHON_INFORMATIONAL=${E2E_CPYTHON_INFORMATIONAL:-1}
CPYTHON_STRATEGIES=${E2E_CPYTHON_STRATEGIES:-all}
DELETED_PYC=usr/lib/python3.11/__pycache__/colorsys.cpython-311.pyc   # whiteout in layer 3
SYSTEM_PY=/usr/bin/python3
VENV_PY=/opt/venv/bin/python

PASSED=0
FAILED=0
declare -A PEAK_RSS=() WALL=() SIZES=() CPY_SECS=()

# How check j judges a strategy's CPython test results against the original image's:
#   must-not-regress  FAIL when a test case (or test module) fails in the rewritten image
#                     and does not fail in the original
#   informational     never FAIL: the strategy is expected to change what some tests observe
#                     (e.g. no sources beside sourceless bytecode); the changed cases are
#                     recorded in .cache/e2e/S/cpython-tests-diff.txt for review
# A strategy not listed is looked up by its base name (up to the first space, '+' or ':', so
# a variant such as sourceless with --source-hook follows the sourceless entry), then
# defaults to must-not-regress.
declare -A CPYTHON_TESTS_MODE=(
    [dedup]=must-not-regress
    [drop-optimized]=must-not-regress
    [drop-bytecode]=must-not-regress
    [sourceless]=informational
)
cpython_tests_mode() {
    local s=$1
    echo "${CPYTHON_TESTS_MODE[$s]:-${CPYTHON_TESTS_MODE[${s%%[ +:]*}]:-must-not-regress}}"
}

log() { printf '[e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }

# run_check NAME LOG COMMAND...: scripts/lib/checks.sh.
source "$ROOT/scripts/lib/checks.sh"

# Image config Env of layout $1, one KEY=VALUE a line (the ENV_FILE of chroot-python.sh).
image_env() { skopeo inspect --config "oci:$1:$TAG" | jq -r '.config.Env // [] | .[]'; }

# Run the probe with interpreter $2 in rootfs $1 under env file $3; output on stdout.
run_probe() { ENV_FILE=$3 "$SCRIPTS/chroot-python.sh" "$1" "$2" - < "$SCRIPTS/python-probe.py"; }

# Run the image Cmd of layout $1 in rootfs $2 under env file $3; output on stdout.
run_cmd() {
    local -a cmd
    mapfile -t cmd < <(skopeo inspect --config "oci:$1:$TAG" | jq -r '(.config.Entrypoint // []) + (.config.Cmd // []) | .[]')
    [[ ${#cmd[@]} -gt 0 ]] || { echo "image has no Entrypoint/Cmd" >&2; return 1; }
    ENV_FILE=$3 "$SCRIPTS/chroot-python.sh" "$2" "${cmd[@]}"
}

list_pycs() { (cd "$1" && find . -name '*.pyc' | LC_ALL=C sort); }
layers_bytes() { skopeo inspect --raw "oci:$1:$TAG" | jq '[.layers[].size] | add'; }

finish() {
    echo
    for s in $STRATEGIES; do
        echo "peak RSS $s: ${PEAK_RSS[$s]:-?} kB, wall ${WALL[$s]:-?}, ${SIZES[$s]:-}${CPY_SECS[$s]:+, CPython tests ${CPY_SECS[$s]} s}"
    done
    echo "e2e: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

# ---------------------------------------------------------------------------------------
# Preconditions.
if [[ $(id -u) -ne 0 ]]; then
    echo "e2e: must run as root (umoci unpack of device nodes, chroot)" >&2
    FAILED=1; finish; exit 1
fi
if [[ ! -x "$OCISLIM" ]]; then
    echo "e2e: OCISLIM=$OCISLIM is not an executable (build it: make release)" >&2
    FAILED=1; finish; exit 1
fi
mkdir -p "$WORK"

log "ensure test image $IMG"
"$SCRIPTS/make-test-image.sh" "$IMG"

# ---------------------------------------------------------------------------------------
# The original image, unpacked once and probed once; cached until the image or the scripts
# that produce the reference outputs change.
orig_key=$( {
    skopeo inspect --raw "oci:$IMG:$TAG" | sha256sum
    sha256sum "$SCRIPTS/python-probe.py" "$SCRIPTS/chroot-python.sh" "$SCRIPTS/e2e.sh" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
if [[ ! -f "$ORIG/key" || "$(cat "$ORIG/key")" != "$orig_key" ]]; then
    log "unpack and probe the original image"
    rm -rf "$ORIG" "$ORIG.tmp"
    mkdir -p "$ORIG.tmp"
    umoci unpack --image "$IMG:$TAG" "$ORIG.tmp/bundle" >/dev/null
    orig_root="$ORIG.tmp/bundle/rootfs"
    if [[ -e "$orig_root/$DELETED_PYC" ]]; then
        echo "e2e: the original image still has /$DELETED_PYC: whiteout missing" >&2
        exit 1
    fi
    # Sizes before any Python run can add pycs. du counts a hardlinked file once.
    du -sb "$orig_root" | cut -f1 > "$ORIG.tmp/rootfs-bytes"
    layers_bytes "$IMG" > "$ORIG.tmp/layers-bytes"
    image_env "$IMG" > "$ORIG.tmp/env"
    run_probe "$orig_root" "$SYSTEM_PY" "$ORIG.tmp/env" > "$ORIG.tmp/probe-system.txt"
    run_probe "$orig_root" "$VENV_PY" "$ORIG.tmp/env" > "$ORIG.tmp/probe-venv.txt"
    run_cmd "$IMG" "$orig_root" "$ORIG.tmp/env" > "$ORIG.tmp/cmd.txt"
    echo "$orig_key" > "$ORIG.tmp/key"
    mv -T "$ORIG.tmp" "$ORIG"
fi
ORIG_ROOTFS_BYTES=$(cat "$ORIG/rootfs-bytes")
ORIG_LAYERS_BYTES=$(cat "$ORIG/layers-bytes")
log "original: rootfs $ORIG_ROOTFS_BYTES bytes, layers $ORIG_LAYERS_BYTES bytes," \
    "probe ok: system $(grep -c $'\tok$' "$ORIG/probe-system.txt"), venv $(grep -c $'\tok$' "$ORIG/probe-venv.txt")"

# The original image's CPython test results (check j's reference), cached until the image or
# the scripts that run the tests change. They run on a throwaway copy of the original rootfs
# (the tests write pycs and temp files), taken after the probes ran in it, as the rewritten
# rootfs are tested after their probes.
cpython_tests_summary() {   # $1: results file → "N cases, P pass, F fail, S skip"
    awk -F'\t' '/^test_[^.]*\t/ { next }   # module verdict lines
                { n++; c[$2]++ }
                END { printf "%d cases, %d pass, %d fail, %d skip\n", n, c["PASS"], c["FAIL"], c["SKIP"] }' "$1"
}
if [[ $CPYTHON_TESTS == 1 ]]; then
    cpy_key=$( {
        skopeo inspect --raw "oci:$IMG:$TAG" | sha256sum
        sha256sum "$SCRIPTS/cpython-tests.sh" "$SCRIPTS/chroot-python.sh" | cut -d' ' -f1
    } | sha256sum | cut -d' ' -f1)
    if [[ ! -f "$ORIG_CPY/key" || "$(cat "$ORIG_CPY/key")" != "$cpy_key" ]]; then
        log "CPython tests on the original image"
        rm -rf "$ORIG_CPY" "$ORIG_CPY.tmp"
        mkdir -p "$ORIG_CPY.tmp"
        cp -a "$ORIG/bundle/rootfs" "$ORIG_CPY.tmp/rootfs"
        if "$SCRIPTS/cpython-tests.sh" "$ORIG_CPY.tmp/rootfs" "$ORIG_CPY.tmp/cpython-tests.txt" "$ORIG/env"; then
            rm -rf "$ORIG_CPY.tmp/rootfs"
            echo "$cpy_key" > "$ORIG_CPY.tmp/key"
            mv -T "$ORIG_CPY.tmp" "$ORIG_CPY"
        else
            rm -rf "$ORIG_CPY.tmp/rootfs"
            echo "FAIL orig/j-cpython-tests (scripts/cpython-tests.sh could not run on the original image)"
            FAILED=$((FAILED + 1))
            CPYTHON_TESTS=0
        fi
    fi
    if [[ $CPYTHON_TESTS == 1 ]]; then
        log "original: CPython tests $(cpython_tests_summary "$ORIG_CPY/cpython-tests.txt")," \
            "$(awk -F'\t' '$1 == "total" { print $2 }' "$ORIG_CPY/cpython-tests.txt.times") s" \
            "(failing: $(awk -F'\t' '$2 == "FAIL" { printf "%s%s", sep, $1; sep = ", " }
                                    END { if (!sep) printf "none" }' "$ORIG_CPY/cpython-tests.txt"))"
    fi
fi

# ---------------------------------------------------------------------------------------
# Checks. Each runs in a subshell with `set -e`; variables come from the strategy loop.

check_rewrite() {
    [[ $rewrite_rc -eq 0 ]] || { echo "ocislim exited with $rewrite_rc"; cat "$D/rewrite.log"; exit 1; }
    [[ -d "$OUT" ]] || { echo "no output layout $OUT"; exit 1; }
    [[ -s "$D/report.json" ]] || { echo "no report file"; exit 1; }
    jq -e . "$D/report.json" >/dev/null
}
check_validate() { oci-image-tool validate --type image --ref "name=$TAG" "$READABLE"; }
check_unpack() { rm -rf "$BUNDLE"; umoci unpack --image "$READABLE:$TAG" "$BUNDLE"; }
# skopeo's gzip copy of a zstd OUTPUT, for the tools that cannot read zstd layers: same tars, same diff_ids.
check_gzip_copy() {
    rm -rf "$READABLE"
    skopeo copy -q --dest-compress --dest-compress-format gzip "oci:$OUT:$TAG" "oci:$READABLE:$TAG"
    skopeo inspect --raw "oci:$READABLE:$TAG" | jq -r '.layers[].mediaType'
    diff <(skopeo inspect --config "oci:$OUT:$TAG" | jq -c .rootfs.diff_ids) \
        <(skopeo inspect --config "oci:$READABLE:$TAG" | jq -c .rootfs.diff_ids)
}
check_inspect() { skopeo inspect "oci:$OUT:$TAG"; }
check_layout() { "$SCRIPTS/check-layout.py" "$OUT"; }
check_whiteout() {
    [[ -d "$BUNDLE/rootfs/usr/lib/python3.11" ]] || { echo "rootfs not unpacked"; exit 1; }
    if [[ -e "$BUNDLE/rootfs/$DELETED_PYC" || -L "$BUNDLE/rootfs/$DELETED_PYC" ]]; then
        echo "/$DELETED_PYC came back"; exit 1
    fi
}

check_strategy_static() {
    local root="$BUNDLE/rootfs"
    [[ -d "$root/usr" ]] || { echo "rootfs not unpacked"; exit 1; }
    case $S in
    dedup)
        # Identical files (e.g. opt-0/opt-1/opt-2 pycs of a module without asserts and
        # docstrings) are hardlinked, and the image got smaller on disk.
        local links
        links=$(find "$root/opt/venv" -type f -links +1 | wc -l)
        echo "hardlinked files under /opt/venv: $links"
        [[ $links -gt 0 ]]
        ;;
    drop-optimized)
        local opt
        opt=$(find "$root" \( -name '*.opt-1.pyc' -o -name '*.opt-2.pyc' \) | wc -l)
        echo "optimized pycs left: $opt"
        # sed, not head: head would close the pipe early and pipefail would turn SIGPIPE into a failure
        find "$root" \( -name '*.opt-1.pyc' -o -name '*.opt-2.pyc' \) | sed -n 1,10p
        [[ $opt -eq 0 ]]
        ;;
    drop-bytecode | drop-bytecode+zstd)
        # Every remaining __pycache__ holds the PEP's marker and no pyc.
        local bad=0 dir
        while IFS= read -r -d '' dir; do
            if [[ ! -e "$dir/__dont_write_bytecode__" ]]; then
                echo "no marker: ${dir#"$root"}"; bad=$((bad + 1))
            fi
            if compgen -G "$dir/*.pyc" >/dev/null; then
                echo "pycs left: ${dir#"$root"}"; bad=$((bad + 1))
            fi
        done < <(find "$root" -type d -name __pycache__ -print0)
        echo "__pycache__ dirs: $(find "$root" -type d -name __pycache__ | wc -l), problems: $bad"
        [[ $bad -eq 0 ]]
        ;;
    sourceless | sourceless+hook)
        # A stdlib module with valid bytecode ships sourceless, its source compressed beside.
        local json=$root/usr/lib/python3.11/json
        [[ -f $json/decoder.pyc && ! -e $json/decoder.py ]] || { ls -la "$json"; exit 1; }
        ! compgen -G "$json/__pycache__/decoder.*.pyc" >/dev/null || { echo "cached decoder bytecode left"; exit 1; }
        python3 -c 'import sys, zlib; sys.stdout.write(zlib.decompress(open(sys.argv[1], "rb").read(), 31).decode())' \
            "$json/__pysources__/decoder.zpy" | grep -q '^class JSONDecoder'
        local hooks
        hooks=$(find "$root" -name ocislim-sources.pth | sort)
        echo "hooks: ${hooks:-none}"
        if [[ $S == sourceless+hook ]]; then
            [[ -f $root/usr/lib/python3/dist-packages/ocislim-sources.pth ]]
            [[ -f $root/opt/venv/lib/python3.11/site-packages/_ocislim_sources.py ]]
        else
            [[ -z $hooks ]]
        fi
        ;;
    esac
}

# An uncaught exception raised in a stdlib module (json.decoder) shows its source line, except in a sourceless
# image without the hook, which shows only file and line number.
check_traceback() {
    local rc=0
    ENV_FILE="$D/env" "$SCRIPTS/chroot-python.sh" "$BUNDLE/rootfs" "$SYSTEM_PY" -c 'import json; json.loads("{")' \
        > /dev/null 2> "$D/traceback.txt" || rc=$?
    cat "$D/traceback.txt"
    [[ $rc -ne 0 ]] && grep -q 'File "/usr/lib/python3.11/json/decoder.py", line' "$D/traceback.txt" || exit 1
    if [[ $S == sourceless ]]; then
        ! grep -q 'obj, end = self.scan_once(s, idx)' "$D/traceback.txt"
    else
        grep -q 'obj, end = self.scan_once(s, idx)' "$D/traceback.txt"
    fi
}

# With the source hook, CPython's traceback and inspect tests pass as on the original image.
check_hook_tests() {
    local new
    new=$(awk -F'\t' '$3 == "FAIL" && $2 != "FAIL"' "$D/cpython-tests-diff.txt" |
        cut -f1 | grep -E '^(test\.)?test_(traceback|inspect)\b' || true)
    if [[ -n $new ]]; then
        echo "new failures in test_traceback/test_inspect:"; awk '{ print "    " $0 }' <<< "$new"; exit 1
    fi
    echo "test_traceback and test_inspect: no new failures"
}
# --compression zstd: every layer is zstd with OCI's media type; the tars are exactly drop-bytecode's (same
# diff_ids, when that variant ran), so only the codec changed; skopeo copies the image out, checking every digest.
check_zstd_layers() {
    local types
    types=$(skopeo inspect --raw "oci:$OUT:$TAG" | jq -r '[.layers[].mediaType] | unique | join(" ")')
    echo "layer media types: $types"
    [[ $types == application/vnd.oci.image.layer.v1.tar+zstd ]]
    jq -e '[.images[].layers[].compression.new] | all(. == "zstd")' "$D/report.json" >/dev/null
    if [[ " $STRATEGIES " == *" drop-bytecode "* && -d "$WORK/drop-bytecode/out" ]]; then
        diff <(skopeo inspect --config "oci:$WORK/drop-bytecode/out:$TAG" | jq -c .rootfs.diff_ids) \
            <(skopeo inspect --config "oci:$OUT:$TAG" | jq -c .rootfs.diff_ids)
        echo "diff_ids equal to drop-bytecode's (gzip)"
    fi
    rm -rf "$D/skopeo-dir"
    skopeo copy -q "oci:$OUT:$TAG" "dir:$D/skopeo-dir"
    echo "zstd layers copied by skopeo:" \
        "$(jq '[.layers[] | select(.mediaType | endswith("+zstd"))] | length' "$D/skopeo-dir/manifest.json")"
    rm -rf "$D/skopeo-dir"
}
check_dont_write_env() { grep -qx 'PYTHONDONTWRITEBYTECODE=1' "$D/env" || { cat "$D/env"; exit 1; }; }
check_shrank_rootfs() {
    local now
    now=$(du -sb "$BUNDLE/rootfs" | cut -f1)
    echo "rootfs bytes: original $ORIG_ROOTFS_BYTES, rewritten $now"
    [[ $now -lt $ORIG_ROOTFS_BYTES ]]
}
check_shrank_layers() {
    local now
    now=$(layers_bytes "$OUT")
    echo "layer bytes: original $ORIG_LAYERS_BYTES, rewritten $now"
    [[ $now -lt $ORIG_LAYERS_BYTES ]]
}

check_probe() {   # $1: system|venv  $2: interpreter
    run_probe "$BUNDLE/rootfs" "$2" "$D/env" > "$D/probe-$1.txt"
    # The source hook's own module is the one importable module the hook variant adds, by design.
    if [[ $S == sourceless+hook ]]; then
        grep -qx $'_ocislim_sources\tok' "$D/probe-$1.txt" || { echo "the hook module does not import"; exit 1; }
        grep -vx $'_ocislim_sources\tok' "$D/probe-$1.txt" | diff -u "$ORIG/probe-$1.txt" -
    else
        diff -u "$ORIG/probe-$1.txt" "$D/probe-$1.txt"
    fi
}
check_cmd() {
    run_cmd "$OUT" "$BUNDLE/rootfs" "$D/env" > "$D/cmd.txt"
    cat "$D/cmd.txt"
    diff -u "$ORIG/cmd.txt" "$D/cmd.txt"
}
check_no_new_pyc() {
    list_pycs "$BUNDLE/rootfs" > "$D/pycs-after.txt"
    diff -u "$D/pycs-before.txt" "$D/pycs-after.txt"
}
check_cpython_tests() {
    local mode new
    mode=$(cpython_tests_mode "$S")
    "$SCRIPTS/cpython-tests.sh" "$BUNDLE/rootfs" "$D/cpython-tests.txt" "$D/env"
    echo "original:  $(cpython_tests_summary "$ORIG_CPY/cpython-tests.txt")"
    echo "rewritten: $(cpython_tests_summary "$D/cpython-tests.txt")," \
        "$(awk -F'\t' '$1 == "total" { print $2 }' "$D/cpython-tests.txt.times") s"
    # Every case (and module verdict) whose result changed: NAME<TAB>ORIGINAL<TAB>REWRITTEN,
    # "-" where a side did not run it. Both files are sorted bytewise by cpython-tests.sh.
    LC_ALL=C join -t $'\t' -a 1 -a 2 -e - -o 0,1.2,2.2 \
        "$ORIG_CPY/cpython-tests.txt" "$D/cpython-tests.txt" |
        awk -F'\t' '$2 != $3' > "$D/cpython-tests-diff.txt"
    echo "changed results: $(wc -l < "$D/cpython-tests-diff.txt") (listed in $D/cpython-tests-diff.txt)"
    awk -F'\t' '{ print "    " $2 " -> " $3 }' "$D/cpython-tests-diff.txt" | sort | uniq -c
    new=$(awk -F'\t' '$3 == "FAIL" && $2 != "FAIL"' "$D/cpython-tests-diff.txt" | cut -f1)
    if [[ $mode == informational ]]; then
        echo "$S: informational, not judged; new failures: $(grep -c . <<< "$new" || true)"
        return 0
    fi
    if [[ -n $new ]]; then
        echo "new failures (tracebacks in $D/cpython-tests.txt.log):"
        awk '{ print "    " $0 }' <<< "$new"
        return 1
    fi
    echo "no new failures"
}
check_deterministic() {
    [[ $rewrite2_rc -eq 0 ]] || { echo "second rewrite exited with $rewrite2_rc"; cat "$D/rewrite2.log"; exit 1; }
    diff -r "$OUT" "$OUT2"
}

# ---------------------------------------------------------------------------------------
for S in $STRATEGIES; do
    D="$WORK/$S"
    OUT="$D/out"
    OUT2="$D/out2"
    BUNDLE="$D/bundle"
    rm -rf "$D"
    mkdir -p "$D"

    log "$S: ocislim rewrite"
    rewrite_rc=0
    mapfile -t ARGS < <(strategy_args "$S")
    /usr/bin/time -v -o "$D/time.txt" \
        "$OCISLIM" rewrite "${ARGS[@]}" --report "$D/report.json" "$IMG" "$OUT" \
        > "$D/rewrite.log" 2>&1 || rewrite_rc=$?
    PEAK_RSS[$S]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$D/time.txt")
    WALL[$S]=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$D/time.txt")
    log "$S: exit $rewrite_rc, peak RSS ${PEAK_RSS[$S]:-?} kB, wall ${WALL[$S]:-?}"
    run_check "$S/rewrite" "$D/check-rewrite.log" check_rewrite
    if [[ -d "$OUT" ]]; then
        image_env "$OUT" > "$D/env" 2>/dev/null || : > "$D/env"
    else
        : > "$D/env"
    fi

    READABLE=$OUT
    if [[ $S == *+zstd ]]; then
        READABLE="$D/gzip-copy"
        run_check "$S/a0-skopeo-gzip-copy" "$D/check-a0.log" check_gzip_copy
    fi
    run_check "$S/a-oci-image-tool-validate" "$D/check-a.log" check_validate
    run_check "$S/b-umoci-unpack" "$D/check-b.log" check_unpack
    run_check "$S/c-skopeo-inspect" "$D/check-c.log" check_inspect
    run_check "$S/d-check-layout" "$D/check-d.log" check_layout
    # File checks first: running Python below may write pycs into the rootfs.
    run_check "$S/g-whiteout-kept" "$D/check-g.log" check_whiteout
    run_check "$S/i-$S" "$D/check-i.log" check_strategy_static
    case $S in
    dedup)
        run_check "$S/i-rootfs-shrank" "$D/check-i-rootfs.log" check_shrank_rootfs
        run_check "$S/i-layers-shrank" "$D/check-i-layers.log" check_shrank_layers
        ;;
    drop-bytecode)
        run_check "$S/i-env-PYTHONDONTWRITEBYTECODE" "$D/check-i-env.log" check_dont_write_env
        ;;
    drop-bytecode+zstd)
        run_check "$S/i-env-PYTHONDONTWRITEBYTECODE" "$D/check-i-env.log" check_dont_write_env
        run_check "$S/i-zstd" "$D/check-i-zstd.log" check_zstd_layers
        ;;
    esac
    if [[ -d "$BUNDLE/rootfs" ]]; then
        SIZES[$S]="rootfs $(du -sb "$BUNDLE/rootfs" | cut -f1) bytes (orig $ORIG_ROOTFS_BYTES)"
        list_pycs "$BUNDLE/rootfs" > "$D/pycs-before.txt"
    fi
    [[ -d "$OUT" ]] && SIZES[$S]+=", layers $(layers_bytes "$OUT" 2>/dev/null || echo ?) bytes (orig $ORIG_LAYERS_BYTES)"

    run_check "$S/e-probe-system-python" "$D/check-e-system.log" check_probe system "$SYSTEM_PY"
    run_check "$S/e-probe-venv-python" "$D/check-e-venv.log" check_probe venv "$VENV_PY"
    run_check "$S/f-image-cmd" "$D/check-f.log" check_cmd
    run_check "$S/k-traceback" "$D/check-k.log" check_traceback
    if [[ $S == drop-bytecode* ]]; then
        run_check "$S/i-no-new-pyc-after-run" "$D/check-i-nowrite.log" check_no_new_pyc
    fi
    # After every check that looks at the rootfs: the tests write temp files (and pycs). The +zstd variant's
    # tars are drop-bytecode's (i-zstd), so its CPython results would be too.
    if [[ $CPYTHON_TESTS == 1 && $S != *+zstd && ($CPYTHON_STRATEGIES == all || " $CPYTHON_STRATEGIES " == *" $S "*) ]]
    then
        # sourceless+hook always runs them: its judged traceback/inspect check reads their results.
        if [[ $CPYTHON_INFORMATIONAL == 1 || $(cpython_tests_mode "$S") != informational || $S == sourceless+hook ]]
        then
            log "$S: CPython tests ($(cpython_tests_mode "$S"))"
            run_check "$S/j-cpython-tests" "$D/check-j.log" check_cpython_tests
        fi
        if [[ $S == sourceless+hook ]]; then
            run_check "$S/j-traceback-inspect-tests" "$D/check-j-hook.log" check_hook_tests
        fi
        [[ -f "$D/cpython-tests.txt.times" ]] &&
            CPY_SECS[$S]=$(awk -F'\t' '$1 == "total" { print $2 }' "$D/cpython-tests.txt.times")
    fi

    log "$S: second rewrite for the determinism check"
    rewrite2_rc=0
    JOBS2=()
    [[ $S == *+zstd ]] && JOBS2=(--jobs 1)
    "$OCISLIM" rewrite "${ARGS[@]}" "${JOBS2[@]}" --report "$D/report2.json" "$IMG" "$OUT2" \
        > "$D/rewrite2.log" 2>&1 || rewrite2_rc=$?
    run_check "$S/h-deterministic" "$D/check-h.log" check_deterministic
done

# ---------------------------------------------------------------------------------------
# The command line on bad input: exit status 1, one line on stderr naming the culprit, no OUTPUT.
# (The library's messages for every kind of bad input are covered by the Swift tests.)
check_cli_missing_blob() {
    local bad="$WORK/cli/bad" out="$WORK/cli/out" rc=0
    rm -rf "$WORK/cli" && mkdir -p "$WORK/cli"
    cp -a "$IMG" "$bad"
    local layer
    layer=$(skopeo inspect --raw "oci:$bad:$TAG" | jq -r '.layers[-1].digest')
    rm "$bad/blobs/sha256/${layer#sha256:}"
    "$OCISLIM" rewrite -q "$bad" "$out" > "$WORK/cli/stdout" 2> "$WORK/cli/stderr" || rc=$?
    cat "$WORK/cli/stderr"
    [[ $rc -eq 1 ]] || { echo "exit status $rc, expected 1"; return 1; }
    [[ $(wc -l < "$WORK/cli/stderr") -eq 1 ]] || { echo "expected one line on stderr"; return 1; }
    grep -q "blob $layer is missing" "$WORK/cli/stderr"
    [[ ! -e "$out" ]] || { echo "OUTPUT exists after a failure"; return 1; }
    [[ -z $(find "$WORK/cli" -maxdepth 1 -name '.out.ocislim*') ]] || { echo "staging directory left behind"; return 1; }
}
check_cli_usage() {
    local rc=0
    "$OCISLIM" rewrite --strategy nonsense "$IMG" "$WORK/cli/out2" 2> "$WORK/cli/usage" || rc=$?
    cat "$WORK/cli/usage"
    [[ $rc -eq 64 ]] && grep -q "drop-bytecode" "$WORK/cli/usage" || return 1
    # A mistyped subcommand gets a did-you-mean, through the same usage path.
    rc=0
    "$OCISLIM" rewite "$IMG" "$WORK/cli/out2" 2> "$WORK/cli/typo" || rc=$?
    cat "$WORK/cli/typo"
    [[ $rc -eq 64 ]] && grep -q "Unknown subcommand 'rewite'. Did you mean 'rewrite'?" "$WORK/cli/typo" || return 1
    # --jobs 0 is refused the same way by both commands (they share the option).
    for command in rewrite audit; do
        rc=0
        "$OCISLIM" "$command" --jobs 0 "$IMG" $([[ $command == rewrite ]] && echo "$WORK/cli/out2") \
            2> "$WORK/cli/jobs" || rc=$?
        cat "$WORK/cli/jobs"
        [[ $rc -eq 64 ]] && grep -q -- "--jobs must be at least 1" "$WORK/cli/jobs" || return 1
    done
}
# A compression level no codec of the output takes is a usage error, found before any layer is read: from the
# options alone (gzip), or from the image's layers under --compression keep (which keeps gzip here).
check_cli_bad_level() {
    local rc=0 out="$WORK/cli/out3"
    "$OCISLIM" rewrite -q --compression gzip --compression-level 99 "$IMG" "$out" 2> "$WORK/cli/level" || rc=$?
    cat "$WORK/cli/level"
    [[ $rc -eq 64 ]] || { echo "exit status $rc, expected 64"; return 1; }
    grep -q "compression level 99 is not a gzip level" "$WORK/cli/level"
    rc=0
    "$OCISLIM" rewrite -q --compression-level 30 "$IMG" "$out" 2> "$WORK/cli/level-keep" || rc=$?
    cat "$WORK/cli/level-keep"
    [[ $rc -eq 64 ]] || { echo "exit status $rc, expected 64"; return 1; }
    grep -q "compression level 30 is not a gzip level .*; layer sha256:[0-9a-f]* keeps its gzip compression" \
        "$WORK/cli/level-keep"
    [[ ! -e "$out" ]] || { echo "OUTPUT exists after a usage error"; return 1; }
}
# --report - sends the JSON to standard output instead of the table, naming the tool and commit (as --version does); a
# report path that cannot be written is refused before any work (exit 64 for a missing directory), leaving no output.
check_cli_report() {
    local rc=0 out="$WORK/cli/out4"
    rm -rf "$out"
    "$OCISLIM" rewrite -q --strategy drop-optimized --report - --digestfile "$WORK/cli/digests" "$IMG" "$out" \
        > "$WORK/cli/report-stdout"
    jq -e '.images | length > 0' "$WORK/cli/report-stdout" >/dev/null || { echo "stdout is not the JSON report"; return 1; }
    # --digestfile lists exactly the new digests of the report's digestMap, and the output's index.json names them.
    diff <(jq -r '.digestMap[].new' "$WORK/cli/report-stdout") "$WORK/cli/digests" || { echo "digestfile differs"; return 1; }
    [[ -s "$WORK/cli/digests" ]] && grep -q "$(head -1 "$WORK/cli/digests")" "$out/index.json" \
        || { echo "the digestfile does not name the output's manifest"; return 1; }
    [[ -d "$out" ]] || { echo "no output"; return 1; }
    # The report and --version name the build: the commit this checkout is at.
    local head
    head=$(git -C "$ROOT" rev-parse --short=12 HEAD)
    jq -e --arg head "$head" '.tool.name == "ocislim" and (.tool.commit | startswith($head))' \
        "$WORK/cli/report-stdout" >/dev/null || { echo "the report does not name commit $head"; return 1; }
    "$OCISLIM" --version | tee "$WORK/cli/version"
    grep -Eq "^ocislim [0-9]+\.[0-9]+\.[0-9]+ \(commit $head(-dirty)?\)$" "$WORK/cli/version"
    "$OCISLIM" rewrite -q --strategy drop-optimized --report "$WORK/cli/no-such-dir/r.json" "$IMG" "$WORK/cli/out5" \
        2> "$WORK/cli/report-stderr" || rc=$?
    cat "$WORK/cli/report-stderr"
    [[ $rc -eq 64 ]] || { echo "exit status $rc, expected 64"; return 1; }
    grep -q "cannot write report $WORK/cli/no-such-dir/r.json: No such file or directory" "$WORK/cli/report-stderr"
    [[ ! -e "$WORK/cli/out5" ]] || { echo "OUTPUT exists after a refused report"; return 1; }
    [[ -z $(find "$WORK/cli" -maxdepth 1 -name '.out5.ocislim*') ]] || { echo "staging directory left behind"; return 1; }
}
# Progress: in a pseudo-terminal (script(1)) the live display redraws in place (cursor movement, percentages);
# piped, there are only plain start and end lines. Neither puts anything on standard output.
check_cli_progress() {
    local out="$WORK/cli/out6" rc=0
    rm -rf "$out" "$out-2"
    SHELL=/bin/sh script -qfec "'$OCISLIM' rewrite --strategy drop-optimized --jobs 1 '$IMG' '$out' > /dev/null" \
        "$WORK/cli/progress-tty" > /dev/null || rc=$?
    [[ $rc -eq 0 ]] || { echo "rewrite in a pty: exit $rc"; return 1; }
    grep -q $'\e\[1F' "$WORK/cli/progress-tty" || { echo "no in-place redraw on a terminal"; return 1; }
    grep -Eq '[0-9]+\.[0-9] MiB / [0-9]+\.[0-9] MiB  [0-9]+%' "$WORK/cli/progress-tty" \
        || { echo "no bytes done of total on a terminal"; return 1; }
    "$OCISLIM" rewrite --strategy drop-optimized "$IMG" "$out-2" > "$WORK/cli/progress-stdout" \
        2> "$WORK/cli/progress-plain"
    cat "$WORK/cli/progress-plain"
    ! grep -q $'\e' "$WORK/cli/progress-plain" || { echo "terminal control in piped progress"; return 1; }
    grep -Eq '^ocislim: scan [0-9a-f]{12} \(' "$WORK/cli/progress-plain" || { echo "no start line"; return 1; }
    grep -Eq '^ocislim: scan [0-9a-f]{12} done in [0-9.]+ s' "$WORK/cli/progress-plain" \
        || { echo "no end line"; return 1; }
    ! grep -q '^ocislim: ' "$WORK/cli/progress-stdout" || { echo "progress on standard output"; return 1; }
}
# The CI gate: audit exits 4 above a limit, saying by how much, and 0 below it; --report writes the JSON.
check_cli_gate() {
    local rc=0
    "$OCISLIM" audit -q --strategy drop-bytecode --fail-if-saving-over 1% --fail-if-hidden-over 1GB \
        --report "$WORK/cli/gate.json" "$IMG" > /dev/null 2> "$WORK/cli/gate.err" || rc=$?
    cat "$WORK/cli/gate.err"
    [[ $rc -eq 4 ]] || { echo "exit $rc, expected 4"; return 1; }
    [[ $(wc -l < "$WORK/cli/gate.err") -eq 1 ]] || { echo "expected one line (one limit exceeded)"; return 1; }
    grep -Eq '^Error: the image could shrink by .* under drop-bytecode, over the 1% limit' "$WORK/cli/gate.err"
    jq -e '[.strategies[].name] == ["drop-bytecode", "reclaim-hidden"]' "$WORK/cli/gate.json" > /dev/null
    "$OCISLIM" audit -q --strategy drop-bytecode --fail-if-saving-over 99% --fail-if-hidden-over 50% "$IMG" > /dev/null
}
# ---------------------------------------------------------------------------------------
# `ocislim audit` predicts exactly what `rewrite` wrote: same layer sizes, same manifest digests.
check_audit() {
    "$OCISLIM" audit -q --json "$IMG" > "$WORK/audit.json"
    "$OCISLIM" audit -q "$IMG"
    local s compared=0
    for s in $STRATEGIES; do
        [[ -f "$WORK/$s/report.json" ]] || continue
        python3 - "$WORK/audit.json" "$WORK/$s/report.json" "$s" <<'PY' || exit 1
import json, sys
audit, report, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
entry = next((e["report"] for e in audit["strategies"] if e["name"] == name), None)
if entry is None:
    print(f"{name}: not an audit strategy, skipped"); sys.exit(0)
got = [(i["manifest"]["new"], [l["compressedSize"]["new"] for l in i["layers"]]) for i in entry["images"]]
want = [(i["manifest"]["new"], [l["compressedSize"]["new"] for l in i["layers"]]) for i in report["images"]]
print(f"{name}: audit {got} rewrite {want}")
sys.exit(0 if got == want else 1)
PY
        compared=$((compared + 1))
    done
    [[ $compared -gt 0 ]]
}
run_check "audit/matches-rewrite" "$WORK/check-audit.log" check_audit

run_check "cli/missing-blob-exit-1" "$WORK/cli-missing.log" check_cli_missing_blob
run_check "cli/usage-error-exit-64" "$WORK/cli-usage.log" check_cli_usage
run_check "cli/bad-compression-level-exit-64" "$WORK/cli-level.log" check_cli_bad_level
run_check "cli/report" "$WORK/cli-report.log" check_cli_report
run_check "cli/progress" "$WORK/cli-progress.log" check_cli_progress
run_check "cli/audit-gate-exit-4" "$WORK/cli-gate.log" check_cli_gate

finish
