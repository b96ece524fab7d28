#!/usr/bin/env bash
# e2e-verify.sh — end-to-end acceptance of `ocislim verify` on the real Debian + Python image.
#
#   OCISLIM=path/to/ocislim scripts/e2e-verify.sh        (default: .build/release/ocislim)
#
# Environment knobs:
#   OCISLIM        the binary under test
#   E2E_IMAGE      the input layout, read only (default: .cache/images/python-debian)
#   E2E_STRATEGIES strategies to check (default: "dedup drop-optimized drop-bytecode sourceless
#                  sourceless+hook reclaim-hidden"; sourceless+hook is `--strategy sourceless --source-hook`,
#                  reclaim-hidden is `--strategy dedup --reclaim-hidden --min-layer-saving 0`)
#   E2E_JOBS       verify's --jobs (default: the number of cores)
#
# Checks, one PASS/FAIL line each:
#   rewrite-S   ocislim rewrite --strategy S exits 0
#   verify-S    ocislim verify ORIGINAL OUTPUT exits 0 and reports zero regressions (--run on the first
#               strategy: the image's Cmd prints the same in both; --startup on sourceless: timed imports)
#   broken      a copy of the image with one more layer that whites out tabnanny.py and its pyc (made with
#               umoci unpack/repack) makes verify exit 5 and name exactly tabnanny, and nothing else (a module
#               nothing else imports: without colorsys, say, pip's rich-based modules regress too, rightly)
#   missing     verify of a layout that does not exist exits 1
#   cleanup     verify leaves nothing in its TMPDIR
# Every output goes to a private temporary directory, removed at the end. The last line is exactly
# `e2e-verify: N passed, M failed`; the exit status is non-zero if M > 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=${OCISLIM:-.build/release/ocislim}
IMAGE=${E2E_IMAGE:-.cache/images/python-debian}
STRATEGIES=${E2E_STRATEGIES:-"dedup drop-optimized drop-bytecode sourceless sourceless+hook reclaim-hidden"}
JOBS=${E2E_JOBS:-$(nproc)}

for tool in jq umoci bwrap; do
    command -v "$tool" >/dev/null || { echo "e2e-verify: $tool is required (scripts/setup.sh installs it)" >&2; exit 2; }
done
[[ -x $OCISLIM ]] || { echo "e2e-verify: no binary at $OCISLIM (swift build -c release)" >&2; exit 2; }
[[ -f $IMAGE/index.json ]] || { echo "e2e-verify: no image layout at $IMAGE" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e-verify.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# verify's own temporary directories go here, so the cleanup check can look.
VERIFY_TMP=$WORK/verify-tmp
mkdir "$VERIFY_TMP"

passed=0
failed=0
pass() { echo "PASS $1${2:+: $2}"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

strategy_args() {
    case $1 in
    sourceless+hook) printf '%s\n' --strategy sourceless --source-hook ;;
    # Every file upper layers hide goes too (layer 3 deletes a stdlib pyc that layer 1 holds), even in the base layer.
    reclaim-hidden) printf '%s\n' --strategy dedup --reclaim-hidden --min-layer-saving 0 ;;
    *) printf '%s\n' --strategy "$1" ;;
    esac
}

# verify ORIGINAL REWRITTEN [options…]: runs verify with --json into $WORK/report.json; sets $status and $seconds.
verify() {
    local original=$1 rewritten=$2
    shift 2
    local started=$SECONDS
    set +e
    TMPDIR=$VERIFY_TMP "$OCISLIM" verify -q --json --jobs "$JOBS" "$@" "$original" "$rewritten" \
        >"$WORK/report.json" 2>"$WORK/verify.err"
    status=$?
    set -e
    seconds=$((SECONDS - started))
}

# "N modules (K ok in both, F failing in both), R regressed" from the report.
summary() {
    jq -r '[.interpreters[].trees[]] as $t
        | "\($t | map(.modules) | add) modules (\($t | map(.okInBoth) | add) ok in both, "
          + "\($t | map(.failingInBoth) | add) failing in both), \(.regressions | length) regressed"' "$WORK/report.json"
}

first=1
for strategy in $STRATEGIES; do
    out=$WORK/out-$strategy
    mapfile -t args < <(strategy_args "$strategy")
    if "$OCISLIM" rewrite -q "${args[@]}" "$IMAGE" "$out" >/dev/null 2>"$WORK/rewrite.err"; then
        pass "rewrite-$strategy"
    else
        fail "rewrite-$strategy" "$(tail -1 "$WORK/rewrite.err")"
        continue
    fi
    extra=()
    [[ $first == 1 ]] && extra+=(--run)
    [[ $strategy == sourceless ]] && extra+=(--startup)
    first=0
    verify "$IMAGE" "$out" "${extra[@]}"
    if [[ $status == 0 ]] && jq -e '.regressions == []' "$WORK/report.json" >/dev/null; then
        detail="$(summary), ${seconds} s"
        if [[ " ${extra[*]} " == *" --run "* ]]; then
            detail+=", run same: $(jq -r '.run.same' "$WORK/report.json")"
        fi
        if [[ " ${extra[*]} " == *" --startup "* ]]; then
            detail+=$(jq -r '.startup[] | ", startup \(.interpreter): imports \(.importsOriginal * 1000 | floor) ms → '`
                `'\(.importsRewritten * 1000 | floor) ms"' "$WORK/report.json" | tr -d '\n')
        fi
        pass "verify-$strategy" "$detail"
    else
        fail "verify-$strategy" "exit $status: $(jq -c '.regressions' "$WORK/report.json" 2>/dev/null \
            || tail -1 "$WORK/verify.err")"
    fi
    rm -rf "$out"
done

# A deliberately broken rewrite: one more layer deletes tabnanny's source and bytecode.
broken=$WORK/broken
cp -r "$IMAGE" "$broken"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // "latest"' "$broken/index.json")
if umoci unpack --image "$broken:$tag" "$WORK/bundle" >/dev/null 2>"$WORK/umoci.err"; then
    rm -f "$WORK/bundle/rootfs/usr/lib/python3.11/tabnanny.py" \
        "$WORK/bundle/rootfs/usr/lib/python3.11/__pycache__/tabnanny.cpython-311.pyc"
    umoci repack --image "$broken:$tag" "$WORK/bundle" >/dev/null 2>>"$WORK/umoci.err"
    rm -rf "$WORK/bundle"
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

left=$(find "$VERIFY_TMP" -mindepth 1 -maxdepth 1 | wc -l)
if [[ $left == 0 ]]; then pass cleanup; else fail cleanup "$left entries left in verify's TMPDIR"; fi

echo "e2e-verify: $passed passed, $failed failed"
[[ $failed == 0 ]]
