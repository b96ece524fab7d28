#!/usr/bin/env bash
# check-reproducible-image.sh [IMAGE] — the sample image is reproducible: built again from the same Debian packages and
# wheels, it has the same layers, byte for byte, so the README's strategy table can be measured again from it.
#
# IMAGE (default .cache/images/python-debian, made first if missing) was built by scripts/make-test-image.sh, which
# records the packages and wheels it installed beside its stamp (.make-test-image.inputs). This script builds the image
# again into a temp dir and compares:
#   same-inputs     the second build installed the same package versions (if not, the Debian mirror moved between
#                   the two builds: that is reported and the comparison below is skipped, as no check could pass)
#   same-layers     every layer blob and diff_id is identical, in order
#   same-config     the config (history dates included) and the manifest are identical
# One PASS/FAIL/SKIP line per check; last line `reproducible-image: N passed, M failed`. Needs root and the network
# (about two and a half minutes). Exit status non-zero if M > 0.
set -euo pipefail

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE=${1:-$SCRIPTS/../.cache/images/python-debian}
IMAGE=${IMAGE%/}
INPUTS=.make-test-image.inputs
# shellcheck source=lib/checks.sh
source "$SCRIPTS/lib/checks.sh"
PASSED=0
FAILED=0

bash "$SCRIPTS/make-test-image.sh" "$IMAGE" >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reproducible-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
AGAIN=$WORK/again
echo "reproducible-image: building $IMAGE again into $AGAIN" >&2
bash "$SCRIPTS/make-test-image.sh" "$AGAIN" >"$WORK/build.log" 2>&1 || {
    echo "FAIL build (log follows)"
    tail -n 20 "$WORK/build.log" | sed 's/^/    | /'
    echo "reproducible-image: 0 passed, 1 failed"
    exit 1
}

# manifest_of LAYOUT: the path of the manifest tagged latest.
manifest_of() {
    local digest
    digest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' \
        "$1/index.json")
    echo "$1/blobs/${digest/://}"
}
FIRST=$(manifest_of "$IMAGE")
SECOND=$(manifest_of "$AGAIN")

same_inputs() { diff "$IMAGE/$INPUTS" "$AGAIN/$INPUTS"; }
same_layers() {
    diff <(jq -r '.layers[] | "\(.digest) \(.size)"' "$FIRST") <(jq -r '.layers[] | "\(.digest) \(.size)"' "$SECOND")
    diff <(jq -r '.rootfs.diff_ids[]' "$IMAGE/blobs/$(jq -r '.config.digest | sub(":"; "/")' "$FIRST")") \
        <(jq -r '.rootfs.diff_ids[]' "$AGAIN/blobs/$(jq -r '.config.digest | sub(":"; "/")' "$SECOND")")
}
same_config() {
    diff <(jq -S . "$FIRST") <(jq -S . "$SECOND")
}

if [[ -f $IMAGE/$INPUTS ]] && ! same_inputs >"$WORK/inputs.diff"; then
    echo "SKIP same-inputs: the Debian mirror moved between the two builds; packages that differ:"
    grep '^[<>]' "$WORK/inputs.diff" | head -n 10 | sed 's/^/    | /'
    echo "SKIP same-layers, same-config (rebuild $IMAGE and run this again to compare)"
else
    check same-inputs same_inputs
    check same-layers same_layers
    check same-config same_config
fi
echo "reproducible-image: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
