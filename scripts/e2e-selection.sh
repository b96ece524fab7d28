#!/usr/bin/env bash
# e2e-selection.sh — issue 9's layout references on the real image, checked by the real tools:
#   oci:DIR:NAME selects one image; two concurrent `ocislim rewrite oci:L:latest oci:L:tagN` into the same layout
#   (the input's own) both land, the image that was there keeps its blobs and descriptor byte for byte, and
#   oci-image-tool validates every tag; a taken name is refused (exit 64) unless --replace; --platform linux/amd64
#   rewrites the image, another platform is refused (exit 1).
#
#   OCISLIM=path/to/ocislim scripts/e2e-selection.sh     (default: .build-static/release/ocislim; image from make-test-image.sh)
# Each check prints one PASS/FAIL line; the last line is exactly `e2e-selection: N passed, M failed`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=${OCISLIM:-.build-static/release/ocislim}
IMG=${E2E_IMAGE:-.cache/images/python-debian}
WORK=.cache/e2e-selection
PASSED=0
FAILED=0

# oci-image-tool 1.0.0-rc1 matches `--ref name=` against the pre-1.0 annotation key, so in a layout of several images
# every descriptor matches and it refuses the ref as "not unique". Each image is validated in a layout of its own:
# the blobs hardlinked, index.json listing that image only.
validate_tag() {
    local layout=$1 tag=$2 one
    one=$(mktemp -d "$WORK/validate.XXXXXX")
    cp -al "$layout/blobs" "$one/blobs"
    cp "$layout/oci-layout" "$one/"
    jq --arg tag "$tag" '.manifests |= map(select(.annotations["org.opencontainers.image.ref.name"] == $tag))' \
        "$layout/index.json" > "$one/index.json"
    oci-image-tool validate --type image --ref "name=$tag" "$one"
    rm -rf "$one"
}

# check NAME FUNCTION (scripts/lib/checks.sh): run_check with the log under $WORK.
source "$ROOT/scripts/lib/checks.sh"

bash scripts/make-test-image.sh "$IMG" >/dev/null
rm -rf "$WORK" && mkdir -p "$WORK"
LAYOUT="$WORK/layout"
cp -r "$IMG" "$LAYOUT"
(cd "$LAYOUT/blobs/sha256" && sha256sum -- *) > "$WORK/blobs-before.txt"
jq -cS '.manifests[0]' "$LAYOUT/index.json" > "$WORK/entry-before.json"

concurrent_writers_both_land() {
    "$OCISLIM" rewrite -q --strategy drop-optimized "oci:$LAYOUT:latest" "oci:$LAYOUT:tag1" > /dev/null &
    local first=$!
    "$OCISLIM" rewrite -q --strategy drop-bytecode "oci:$LAYOUT:latest" "oci:$LAYOUT:tag2" > /dev/null
    wait "$first"
    jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$LAYOUT/index.json" | sort > "$WORK/tags"
    printf '%s\n' latest tag1 tag2 | diff - "$WORK/tags"
    for tag in latest tag1 tag2; do
        validate_tag "$LAYOUT" "$tag"
        skopeo inspect --raw "oci:$LAYOUT:$tag" > /dev/null
    done
}
check layout/concurrent-writers-both-land concurrent_writers_both_land

other_image_untouched() {
    # Every blob that was there has the same bytes; the first entry of index.json is the same descriptor.
    (cd "$LAYOUT/blobs/sha256" && sha256sum -c --quiet "$ROOT/$WORK/blobs-before.txt")
    jq -cS '.manifests[0]' "$LAYOUT/index.json" | diff "$WORK/entry-before.json" -
}
check layout/other-image-untouched other_image_untouched

taken_name_needs_replace() {
    local rc=0
    "$OCISLIM" rewrite -q "oci:$LAYOUT:latest" "oci:$LAYOUT:tag1" 2> "$WORK/taken.err" || rc=$?
    cat "$WORK/taken.err"
    [[ $rc -eq 64 ]] && grep -q 'already has an image named "tag1"; use --replace' "$WORK/taken.err"
    "$OCISLIM" rewrite -q --replace --strategy dedup "oci:$LAYOUT:latest" "oci:$LAYOUT:tag1" > /dev/null
    [[ $(jq '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "tag1")] | length' \
        "$LAYOUT/index.json") -eq 1 ]]
    validate_tag "$LAYOUT" tag1
}
check layout/taken-name-needs-replace taken_name_needs_replace

name_selects_and_names() {
    "$OCISLIM" rewrite -q --strategy drop-optimized "oci:$LAYOUT:tag2" "oci:$WORK/one:picked" > /dev/null
    [[ $(jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(",")' "$WORK/one/index.json") \
        == picked ]]
    oci-image-tool validate --type image --ref name=picked "$WORK/one"
}
check layout/name-selects-and-names name_selects_and_names

platform_selects() {
    local rc=0
    "$OCISLIM" rewrite -q --platform linux/amd64 --strategy drop-optimized "oci:$IMG:latest" "$WORK/amd64" > /dev/null
    "$OCISLIM" rewrite -q --platform linux/s390x "oci:$IMG:latest" "$WORK/s390x" 2> "$WORK/s390x.err" || rc=$?
    cat "$WORK/s390x.err"
    [[ $rc -eq 1 && ! -e "$WORK/s390x" ]] && grep -q "no image for platform linux/s390x (it has: linux/amd64)" \
        "$WORK/s390x.err"
}
check layout/platform-selects platform_selects

echo "e2e-selection: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
