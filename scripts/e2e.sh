#!/usr/bin/env bash
# e2e.sh — end-to-end acceptance run of `ocislim rewrite` on a real Debian + Python image.
#
#   OCISLIM=path/to/ocislim scripts/e2e.sh        (default: .build/release/ocislim)
#
# Environment knobs:
#   OCISLIM          the binary under test
#   E2E_STRATEGIES   strategies to run (default: "dedup drop-optimized drop-bytecode")
#   E2E_IMAGE        input layout (default: .cache/images/python-debian, built by
#                    scripts/make-test-image.sh when missing)
#
# For each strategy S the image is rewritten to .cache/e2e/S/out (timed with GNU time for
# the peak RSS) and the result is checked; each check prints one PASS/FAIL line:
#   rewrite  ocislim exits 0, OUTPUT exists, the --report file is valid JSON
#   a        oci-image-tool validate accepts OUTPUT
#   b        umoci unpacks OUTPUT:latest
#   c        skopeo inspects oci:OUTPUT:latest
#   d        scripts/check-layout.py: blob digests, descriptor sizes, diff_ids
#   g        the pyc deleted by layer 3 (a whiteout) is still absent
#   i-*      strategy-specific: see check_strategy_static / check_no_new_pyc
#   e        python-probe.py gives the same output as on the original image (both interpreters)
#   f        the image Cmd prints the same output as on the original image
#   h        a second rewrite produces a byte-identical layout (diff -r)
# Checks that look at files (g, i-static) run before anything executes Python in the
# rewritten rootfs, since Python may write pycs on import.
# The last line is exactly `e2e: N passed, M failed`; the exit status is non-zero if M > 0.
# Work files live under .cache/e2e/ (git-ignored); the original image's unpacked rootfs
# and its probe outputs are cached there, keyed by image digest and script hashes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCRIPTS="$ROOT/scripts"

OCISLIM=${OCISLIM:-.build/release/ocislim}
STRATEGIES=${E2E_STRATEGIES:-"dedup drop-optimized drop-bytecode"}
IMG=${E2E_IMAGE:-.cache/images/python-debian}
TAG=latest
WORK=.cache/e2e
ORIG="$WORK/orig"
DELETED_PYC=usr/lib/python3.11/__pycache__/colorsys.cpython-311.pyc   # whiteout in layer 3
SYSTEM_PY=/usr/bin/python3
VENV_PY=/opt/venv/bin/python

PASSED=0
FAILED=0
declare -A PEAK_RSS=() WALL=() SIZES=()

log() { printf '[e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }

# run_check NAME LOG COMMAND... — run COMMAND with output to LOG, count and print the result.
# The command runs as an asynchronous subshell so that `set -e` stays in force inside it
# (errexit is ignored in `if`/`||` contexts, which would hide failing steps).
run_check() {
    local name=$1 logfile=$2
    shift 2
    local rc=0
    ( "$@" ) >"$logfile" 2>&1 &
    wait $! || rc=$?
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        echo "PASS $name"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $name (exit $rc; log $logfile)"
        tail -n 15 "$logfile" | sed 's/^/    | /'
    fi
    return 0
}

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
        echo "peak RSS $s: ${PEAK_RSS[$s]:-?} kB, wall ${WALL[$s]:-?}, ${SIZES[$s]:-}"
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
    echo "e2e: OCISLIM=$OCISLIM is not an executable (build it: swift build -c release)" >&2
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

# ---------------------------------------------------------------------------------------
# Checks. Each runs in a subshell with `set -e`; variables come from the strategy loop.

check_rewrite() {
    [[ $rewrite_rc -eq 0 ]] || { echo "ocislim exited with $rewrite_rc"; cat "$D/rewrite.log"; exit 1; }
    [[ -d "$OUT" ]] || { echo "no output layout $OUT"; exit 1; }
    [[ -s "$D/report.json" ]] || { echo "no report file"; exit 1; }
    jq -e . "$D/report.json" >/dev/null
}
check_validate() { oci-image-tool validate --type image --ref "name=$TAG" "$OUT"; }
check_unpack() { rm -rf "$BUNDLE"; umoci unpack --image "$OUT:$TAG" "$BUNDLE"; }
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
    drop-bytecode)
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
    esac
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
    diff -u "$ORIG/probe-$1.txt" "$D/probe-$1.txt"
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
    /usr/bin/time -v -o "$D/time.txt" \
        "$OCISLIM" rewrite --strategy "$S" --report "$D/report.json" "$IMG" "$OUT" \
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
    esac
    if [[ -d "$BUNDLE/rootfs" ]]; then
        SIZES[$S]="rootfs $(du -sb "$BUNDLE/rootfs" | cut -f1) bytes (orig $ORIG_ROOTFS_BYTES)"
        list_pycs "$BUNDLE/rootfs" > "$D/pycs-before.txt"
    fi
    [[ -d "$OUT" ]] && SIZES[$S]+=", layers $(layers_bytes "$OUT" 2>/dev/null || echo ?) bytes (orig $ORIG_LAYERS_BYTES)"

    run_check "$S/e-probe-system-python" "$D/check-e-system.log" check_probe system "$SYSTEM_PY"
    run_check "$S/e-probe-venv-python" "$D/check-e-venv.log" check_probe venv "$VENV_PY"
    run_check "$S/f-image-cmd" "$D/check-f.log" check_cmd
    if [[ $S == drop-bytecode ]]; then
        run_check "$S/i-no-new-pyc-after-run" "$D/check-i-nowrite.log" check_no_new_pyc
    fi

    log "$S: second rewrite for the determinism check"
    rewrite2_rc=0
    "$OCISLIM" rewrite --strategy "$S" --report "$D/report2.json" "$IMG" "$OUT2" \
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
    [[ -z $(find "$WORK/cli" -maxdepth 1 -name '.out.ocislim-*') ]] || { echo "staging directory left behind"; return 1; }
}
check_cli_usage() {
    local rc=0
    "$OCISLIM" rewrite --strategy nonsense "$IMG" "$WORK/cli/out2" 2> "$WORK/cli/usage" || rc=$?
    cat "$WORK/cli/usage"
    [[ $rc -eq 64 ]] && grep -q "drop-bytecode" "$WORK/cli/usage"
}
run_check "cli/missing-blob-exit-1" "$WORK/cli-missing.log" check_cli_missing_blob
run_check "cli/usage-error-exit-64" "$WORK/cli-usage.log" check_cli_usage

finish
