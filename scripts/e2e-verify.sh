#!/usr/bin/env bash
# e2e-verify.sh — end-to-end acceptance of `ocislim verify` on the real Debian + Python image.
#
#   OCISLIM=path/to/ocislim scripts/e2e-verify.sh        (default: .build-static/release/ocislim)
#
# Environment knobs:
#   OCISLIM        the binary under test
#   E2E_IMAGE      the input layout, read only (default: .cache/images/python-debian)
#   E2E_STRATEGIES strategies to check (default: "dedup drop-optimized drop-bytecode sourceless
#                  sourceless+hook reclaim-hidden"; sourceless+hook is `--strategy sourceless --source-hook`,
#                  reclaim-hidden is `--strategy dedup --reclaim-hidden --min-layer-saving 0`)
#   E2E_JOBS       verify's --jobs (default: the number of cores)
#   E2E_NOBYTECODE_IMAGE  the docker-library-style image (default: .cache/images/python-debian-nobytecode, made from
#                  E2E_IMAGE by scripts/make-nobytecode-image.sh when missing or stale)
#   E2E_NOBYTECODE_SAMPLE  verify's --sample on that image (default: E2E_VERIFY_SAMPLE): without bytecode every
#                  import compiles its module, so a sample of the same size takes several times as long
#   E2E_BROKEN_SAMPLE  verify's --sample in the broken check (default: E2E_VERIFY_SAMPLE; --module tabnanny is added)
#   E2E_COMPILE_WITH  the host CPython for sourceless --compile-with (default: /usr/bin/python3.11)
#   E2E_VERIFY_TMPDIR  where verify's temporary directories (its TMPDIR) and umoci's unpacked tree go (default: a new
#                  directory on /dev/shm when it is a tmpfs that runs programs with 4 GiB free, as verify itself
#                  chooses when TMPDIR is unset; else the script's work directory in TMPDIR)
#   E2E_VERIFY_SAMPLE  verify's --sample: import only this many modules per interpreter, spread over its trees
#                  (default: all, every module; `make test` samples, CI imports all); the broken check adds
#                  --module tabnanny, so its module is always among them
#
# Checks, one PASS/FAIL line each:
#   rewrite-S   ocislim rewrite --strategy S exits 0
#   verify-S    ocislim verify ORIGINAL OUTPUT exits 0 and reports zero regressions (--run on the first
#               strategy: the image's Cmd prints the same in both; --startup on sourceless: timed imports)
#   rewrite-nobytecode-S, verify-nobytecode-S   the same on a docker-library-style image without any bytecode, run
#               as User nobody (scripts/make-nobytecode-image.sh, cached beside the test image): dedup (with --run)
#               and sourceless --compile-with the host's python3.11 (skipped without one); verify imports as nobody
#   broken      a copy of the image with one more layer that whites out tabnanny.py and its pyc (made with
#               umoci unpack/repack) makes verify exit 5 and name exactly tabnanny, and nothing else (a module
#               nothing else imports: without colorsys, say, pip's rich-based modules regress too, rightly)
#   missing     verify of a layout that does not exist exits 1
#   interrupted SIGTERM while the sandboxes import makes verify exit 143 and leaves nothing in its TMPDIR
#   cleanup     verify leaves nothing in its TMPDIR
# Every output goes to a private temporary directory, removed at the end. The last line is exactly
# `e2e-verify: N passed, M failed`; the exit status is non-zero if M > 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=${OCISLIM:-.build-static/release/ocislim}
IMAGE=${E2E_IMAGE:-.cache/images/python-debian}
STRATEGIES=${E2E_STRATEGIES:-"dedup drop-optimized drop-bytecode sourceless sourceless+hook reclaim-hidden"}
JOBS=${E2E_JOBS:-$(nproc)}
SAMPLE=${E2E_VERIFY_SAMPLE:-all}
NOBYTECODE=${E2E_NOBYTECODE_IMAGE:-.cache/images/python-debian-nobytecode}
# The image's CPython is Debian bookworm's 3.11: --compile-with needs the same minor version on the host.
COMPILE_WITH=${E2E_COMPILE_WITH:-/usr/bin/python3.11}
# The image without bytecode compiles every module it imports, in every sandbox: its own, smaller sample.
NOBYTECODE_SAMPLE=${E2E_NOBYTECODE_SAMPLE:-$SAMPLE}
# The broken rewrite is there to be caught, naming its module: its own sample (the module always in it).
BROKEN_SAMPLE=${E2E_BROKEN_SAMPLE:-$SAMPLE}
SAMPLE_ARGS=()
[[ $SAMPLE == all ]] || SAMPLE_ARGS=(--sample "$SAMPLE")

for tool in jq umoci bwrap; do
    command -v "$tool" >/dev/null || { echo "e2e-verify: $tool is required (scripts/setup.sh installs it)" >&2; exit 2; }
done
[[ -x $OCISLIM ]] || { echo "e2e-verify: no binary at $OCISLIM (make release)" >&2; exit 2; }
[[ -f $IMAGE/index.json ]] || { echo "e2e-verify: no image layout at $IMAGE" >&2; exit 2; }

# A memory filesystem for the trees (verify's own and umoci's): where verify writes them when TMPDIR is unset, and what
# makes a run take seconds instead of a minute on a disk.
memory_scratch() {
    [[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]] || return 1
    findmnt -n -o OPTIONS --target /dev/shm | tr , '\n' | grep -qx noexec && return 1
    (($(df --output=avail -B1 /dev/shm | tail -1) >= 4 << 30))
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e-verify.XXXXXX")
SCRATCH=$WORK
if [[ -n ${E2E_VERIFY_TMPDIR:-} ]]; then
    SCRATCH=$(mktemp -d "$E2E_VERIFY_TMPDIR/e2e-verify.XXXXXX")
elif memory_scratch; then
    SCRATCH=$(mktemp -d /dev/shm/e2e-verify.XXXXXX)
fi
trap 'rm -rf "$WORK" "$SCRATCH"' EXIT
# Traversable (not listable): an image with a User other than root is sandboxed as that user, who must reach the trees.
chmod 0711 "$WORK" "$SCRATCH"
# verify's own temporary directories go here, so the cleanup check can look.
VERIFY_TMP=$SCRATCH/verify-tmp
mkdir "$VERIFY_TMP"
chmod 0711 "$VERIFY_TMP"

passed=0
failed=0
pass() { echo "PASS $1${2:+: $2}"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

strategy_args() {
    case $1 in
    sourceless+hook) printf '%s\n' --strategy sourceless --source-hook ;;
    # Every file upper layers hide goes too (layer 3 deletes a stdlib pyc that layer 1 holds), even in the base layer.
    reclaim-hidden) printf '%s\n' --strategy dedup --reclaim-hidden --min-layer-saving 0 ;;
    sourceless+compile) printf '%s\n' --strategy sourceless --compile-with "$COMPILE_WITH" ;;
    *) printf '%s\n' --strategy "$1" ;;
    esac
}

# verify ORIGINAL REWRITTEN [options…]: runs verify with --json into $WORK/report.json; sets $status and $seconds.
verify() {
    local original=$1 rewritten=$2
    shift 2
    local started=$SECONDS
    set +e
    TMPDIR=$VERIFY_TMP "$OCISLIM" verify -q --json --jobs "$JOBS" ${SAMPLE_ARGS[@]+"${SAMPLE_ARGS[@]}"} "$@" \
        "$original" "$rewritten" \
        >"$WORK/report.json" 2>"$WORK/verify.err"
    status=$?
    set -e
    seconds=$((SECONDS - started))
}

# "N modules (K ok in both, F failing in both), R regressed" from the report.
summary() {
    jq -r '[.interpreters[].trees[]] as $t
        | "\($t | map(.modules) | add) modules (\($t | map(.okInBoth) | add) ok in both, "
          + "\($t | map(.failingInBoth) | add) failing in both), \(.regressions | length) regressed"
          + ([.interpreters[].sampledFrom // empty] | if length > 0 then ", a sample of \(add) listed" else "" end)' \
        "$WORK/report.json"
}

# rewrite_and_verify NAME INPUT STRATEGY [verify options…]: checks rewrite-NAME and verify-NAME (the rewrite must change
# the image: a strategy with nothing to do there would verify nothing).
rewrite_and_verify() {
    local name=$1 input=$2 strategy=$3
    shift 3
    local out=$WORK/out-$name args
    mapfile -t args < <(strategy_args "$strategy")
    if "$OCISLIM" rewrite -q "${args[@]}" --report "$WORK/rewrite.json" "$input" "$out" >/dev/null \
        2>"$WORK/rewrite.err" && jq -e '.nothingToDo == null' "$WORK/rewrite.json" >/dev/null; then
        pass "rewrite-$name" "$(jq -r '"\(.totals.filesRemoved) files removed, \(.totals.filesAdded) added, '`
            `'\(.totals.filesHardlinked) hardlinked"' "$WORK/rewrite.json")"
    else
        fail "rewrite-$name" "$(tail -1 "$WORK/rewrite.err") $(jq -r '.nothingToDo // ""' "$WORK/rewrite.json")"
        return 0
    fi
    verify "$input" "$out" "$@"
    if [[ $status == 0 ]] && jq -e '.regressions == []' "$WORK/report.json" >/dev/null; then
        local detail
        detail="$(summary), ${seconds} s"
        if [[ " $* " == *" --run "* ]]; then
            detail+=", run same: $(jq -r '.run.same' "$WORK/report.json")"
        fi
        if [[ " $* " == *" --startup "* ]]; then
            detail+=$(jq -r '.startup[] | ", startup \(.interpreter): imports \(.importsOriginal * 1000 | floor) ms → '`
                `'\(.importsRewritten * 1000 | floor) ms"' "$WORK/report.json" | tr -d '\n')
        fi
        pass "verify-$name" "$detail"
    else
        fail "verify-$name" "exit $status: $(jq -c '.regressions' "$WORK/report.json" 2>/dev/null \
            || tail -1 "$WORK/verify.err")"
    fi
    rm -rf "$out"
}

first=1
for strategy in $STRATEGIES; do
    extra=()
    [[ $first == 1 ]] && extra+=(--run)
    [[ $strategy == sourceless ]] && extra+=(--startup)
    first=0
    rewrite_and_verify "$strategy" "$IMAGE" "$strategy" ${extra[@]+"${extra[@]}"}
done

# The docker-library-style image: no bytecode anywhere (every __pycache__ whited out), run as User nobody, so verify
# imports as nobody (who cannot write bytecode either). dedup has identical sources to link; sourceless compiles the
# sources with a host CPython of the image's version (--compile-with), when there is one.
if bash scripts/make-nobytecode-image.sh "$IMAGE" "$NOBYTECODE" >"$WORK/nobytecode.log" 2>&1; then
    SAMPLE_ARGS=()
    [[ $NOBYTECODE_SAMPLE == all ]] || SAMPLE_ARGS=(--sample "$NOBYTECODE_SAMPLE")
    rewrite_and_verify nobytecode-dedup "$NOBYTECODE" dedup --run
    if [[ -x $COMPILE_WITH ]]; then
        rewrite_and_verify nobytecode-sourceless "$NOBYTECODE" sourceless+compile
    else
        echo "SKIP nobytecode-sourceless: no host $COMPILE_WITH for --compile-with"
    fi
    SAMPLE_ARGS=()
    [[ $SAMPLE == all ]] || SAMPLE_ARGS=(--sample "$SAMPLE")
else
    fail nobytecode-image "$(tail -1 "$WORK/nobytecode.log")"
fi

# A deliberately broken rewrite: one more layer deletes tabnanny's source and bytecode.
broken=$WORK/broken
cp -r "$IMAGE" "$broken"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // "latest"' "$broken/index.json")
if umoci unpack --image "$broken:$tag" "$SCRATCH/bundle" >/dev/null 2>"$WORK/umoci.err"; then
    rm -f "$SCRATCH/bundle/rootfs/usr/lib/python3.11/tabnanny.py" \
        "$SCRATCH/bundle/rootfs/usr/lib/python3.11/__pycache__/tabnanny.cpython-311.pyc"
    umoci repack --image "$broken:$tag" "$SCRATCH/bundle" >/dev/null 2>>"$WORK/umoci.err"
    rm -rf "$SCRATCH/bundle"
    SAMPLE_ARGS=()
    [[ $BROKEN_SAMPLE == all ]] || SAMPLE_ARGS=(--sample "$BROKEN_SAMPLE" --module tabnanny)
    verify "$IMAGE" "oci:$broken:$tag"
    named=$(jq -r '[.regressions[].module] | unique | join(",")' "$WORK/report.json" 2>/dev/null || true)
    if [[ $status == 5 && $named == tabnanny ]]; then
        pass broken "exit 5, regressed: $named ($(jq -r '.regressions[0].error' "$WORK/report.json")), ${seconds} s"
    else
        fail broken "exit $status, regressed: ${named:-none}: $(tail -1 "$WORK/verify.err")"
    fi
else
    fail broken "umoci unpack failed: $(tail -1 "$WORK/umoci.err")"
fi

verify "$IMAGE" "$WORK/no-such-layout"
if [[ $status == 1 ]]; then pass missing "$(tail -1 "$WORK/verify.err")"; else fail missing "exit $status"; fi

# SIGTERM while the sandboxes run: the handler removes the trees from under them; the run must not end first.
TMPDIR=$VERIFY_TMP "$OCISLIM" verify --jobs "$JOBS" --sample 20 "$IMAGE" "$IMAGE" >/dev/null 2>"$WORK/signal.err" &
pid=$!
until grep -q importing "$WORK/signal.err" || ! kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
sleep 0.3
kill -TERM "$pid" 2>/dev/null || true
set +e
wait "$pid"
status=$?
set -e
left=$(find "$VERIFY_TMP" -mindepth 1 -maxdepth 1 | wc -l)
if [[ $status == 143 && $left == 0 ]]; then
    pass interrupted "exit 143, nothing left"
else
    fail interrupted "exit $status, $left entries left: $(tail -1 "$WORK/signal.err")"
fi

left=$(find "$VERIFY_TMP" -mindepth 1 -maxdepth 1 | wc -l)
if [[ $left == 0 ]]; then pass cleanup; else fail cleanup "$left entries left in verify's TMPDIR"; fi

echo "e2e-verify: $passed passed, $failed failed"
[[ $failed == 0 ]]
