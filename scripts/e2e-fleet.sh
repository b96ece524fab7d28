#!/usr/bin/env bash
# e2e-fleet.sh — issue 11's layer cache (--cache) on the fleet fixture (make-fleet-fixture.sh: four images on the
# real test image, sharing its base, venv and app layers, differing above them):
#   rewritten one after another through one cache, each shared layer is scanned and rewritten once (the reports' hit
#   counts say so) and the base layer gets the same plan, so the same new digest, in every image; every output is
#   byte-identical to the same image rewritten without a cache; a second pass is all hits; a damaged cache entry
#   (a flipped byte, a truncated file, a flipped blob) is ignored with a warning and rewritten, the output still
#   byte-identical; two processes rewriting two images into one empty cache at once both succeed, byte-identical;
#   a layer passed through is hard-linked from the input layout.
#
#   OCISLIM=path/to/ocislim scripts/e2e-fleet.sh    (default .build-static/release/ocislim; E2E_FLEET, E2E_WORK move the
#                                                   fixture, default .cache/images/fleet, and the work directory)
# Each check prints one PASS/FAIL line; the last line is exactly `e2e-fleet: N passed, M failed`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=${OCISLIM:-.build-static/release/ocislim}
FLEET=${E2E_FLEET:-.cache/images/fleet}
WORK=${E2E_WORK:-.cache/e2e-fleet}
IMAGES=(app deleter extra-py config)
# drop-bytecode rewrites the base and venv layers (both hold bytecode) and is the quickest strategy that does; gzip
# level 1 halves the time of recompressing the base (the level is in the cache key, so it is tested as any other).
REWRITE=(rewrite -q --strategy drop-bytecode --compression-level 1 --jobs 2)
PASSED=0
FAILED=0

source "$ROOT/scripts/lib/checks.sh"

bash scripts/make-fleet-fixture.sh "$FLEET" >/dev/null
rm -rf "$WORK" && mkdir -p "$WORK"

# rewrite_all DIR [OPTIONS...] — each image into DIR/NAME with its report in DIR/NAME.json.
rewrite_all() {
    local dir=$1
    shift
    mkdir -p "$dir"
    for name in "${IMAGES[@]}"; do
        "$OCISLIM" "${REWRITE[@]}" "$@" --report "$dir/$name.json" "oci:$FLEET:$name" "$dir/$name" >/dev/null
    done
}

# sum DIR FILTER — the sum of a jq number over the reports in DIR.
sum() { jq -s "map($2) | add" "$1"/*.json; }

# same_outputs DIR — every image in DIR is byte-identical to the uncached one.
same_outputs() {
    for name in "${IMAGES[@]}"; do
        diff -r "$WORK/uncached/$name" "$1/$name"
    done
}

fixture_shares_layers() {
    local base layers
    base=$(skopeo inspect --raw "oci:$FLEET:app" | jq -c '.layers[:3] | map(.digest)')
    for name in "${IMAGES[@]}"; do
        layers=$(skopeo inspect --raw "oci:$FLEET:$name" | jq -c '.layers | map(.digest)')
        [[ $(jq -c '.[:3]' <<<"$layers") == "$base" ]]
        [[ $name == app ]] || [[ $(jq length <<<"$layers") -eq 4 ]]
    done
    # The deleter's top layer hides base files; extra-py's adds Python sources of its own.
    local top
    top=$(skopeo inspect --raw "oci:$FLEET:deleter" | jq -r '.layers[3].digest | sub("sha256:"; "")')
    # (Listed to a file first: `tar | grep -q` under pipefail fails when grep exits early.)
    tar tzf "$FLEET/blobs/sha256/$top" >"$WORK/deleter-top.txt"
    grep -q '/\.wh\.colorsys\.py$' "$WORK/deleter-top.txt"
    top=$(skopeo inspect --raw "oci:$FLEET:extra-py" | jq -r '.layers[3].digest | sub("sha256:"; "")')
    tar tzf "$FLEET/blobs/sha256/$top" >"$WORK/extra-py-top.txt"
    grep -q 'fleetpkg/alpha\.py$' "$WORK/extra-py-top.txt"
}
check fleet/fixture-shares-base-venv-app fixture_shares_layers

uncached_baseline() {
    rewrite_all "$WORK/uncached"
    [[ $(sum "$WORK/uncached" '.totals.layersRewritten') -ge 4 ]]
    [[ $(jq -s 'map(has("cache")) | any' "$WORK/uncached"/*.json) == false ]]
}
check fleet/uncached-baseline uncached_baseline

each_shared_layer_once() {
    rewrite_all "$WORK/cached" --cache "$WORK/cache"
    # Distinct input layers: each scanned once, every other use a hit.
    local layers distinct rewritten_rows rewritten_distinct
    layers=$(jq -s 'map(.images[0].layers | length) | add' "$WORK/cached"/*.json)
    distinct=$(jq -s '[.[].images[0].layers[].blob.old] | unique | length' "$WORK/cached"/*.json)
    [[ $(sum "$WORK/cached" '.cache.scans.misses') -eq $distinct ]]
    [[ $(sum "$WORK/cached" '.cache.scans.hits') -eq $((layers - distinct)) ]]
    # Distinct rewritten layers: each rewritten once, every other use a hit (base and venv three times each).
    rewritten_rows=$(jq -s '[.[].images[0].layers[] | select(.unchanged | not)] | length' "$WORK/cached"/*.json)
    rewritten_distinct=$(jq -s '[.[].images[0].layers[] | select(.unchanged | not) | .blob.old] | unique | length' \
        "$WORK/cached"/*.json)
    [[ $(sum "$WORK/cached" '.cache.layers.misses') -eq $rewritten_distinct ]]
    [[ $(sum "$WORK/cached" '.cache.layers.hits') -eq $((rewritten_rows - rewritten_distinct)) ]]
    [[ $(sum "$WORK/cached" '.cache.layers.hits') -ge 6 ]]
    [[ $(sum "$WORK/cached" '.cache.bytesNotRecomputed') -gt 0 ]]
    # The shared layers get one plan, so one new digest, in every image.
    for index in 0 1 2; do
        [[ $(jq -s "[.[].images[0].layers[$index].blob.new] | unique | length" "$WORK/cached"/*.json) -eq 1 ]]
    done
}
check fleet/cache-scans-and-rewrites-each-shared-layer-once each_shared_layer_once

same_outputs_cached() { same_outputs "$WORK/cached"; }
check fleet/cached-outputs-byte-identical same_outputs_cached

second_pass_all_hits() {
    rewrite_all "$WORK/again" --cache "$WORK/cache"
    [[ $(sum "$WORK/again" '.cache.scans.misses') -eq 0 ]]
    [[ $(sum "$WORK/again" '.cache.layers.misses') -eq 0 ]]
    same_outputs "$WORK/again"
}
check fleet/second-pass-all-hits second_pass_all_hits

# flip_byte FILE OFFSET — xor one byte (written in place).
flip_byte() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

damaged_entries_ignored_and_rewritten() {
    local root scan layer blob
    root=$(echo "$WORK"/cache/ocislim-*)
    # The largest scan (the base layer's), a rewritten layer's entry, and the largest blob (the base's).
    scan=$(ls -S "$root"/scans/* | sed -n 1p)
    layer=$(ls -S "$root"/layers/* | sed -n 1p)
    blob=$(ls -S "$root"/blobs/sha256/* | sed -n 1p)
    flip_byte "$scan" $(($(stat -c %s "$scan") / 2))
    truncate -s 20 "$layer"
    flip_byte "$blob" 1000
    "$OCISLIM" "${REWRITE[@]}" --cache "$WORK/cache" --report "$WORK/damaged.json" "oci:$FLEET:app" "$WORK/damaged" \
        >/dev/null
    jq -e '.cache.scans.misses >= 1 and .cache.layers.misses >= 1' "$WORK/damaged.json"
    jq -e --arg p "$scan" '.warnings | any(startswith("cache entry " + $p + " is unusable"))' "$WORK/damaged.json"
    jq -e '.warnings | map(select(contains("is unusable"))) | length >= 2' "$WORK/damaged.json"
    diff -r "$WORK/uncached/app" "$WORK/damaged"
    # Rewritten: the next run finds everything.
    "$OCISLIM" "${REWRITE[@]}" --cache "$WORK/cache" --report "$WORK/repaired.json" "oci:$FLEET:app" \
        "$WORK/repaired" >/dev/null
    jq -e '.cache.scans.misses == 0 and .cache.layers.misses == 0 and (.warnings | length) == 0' "$WORK/repaired.json"
    diff -r "$WORK/uncached/app" "$WORK/repaired"
}
check fleet/damaged-entries-ignored-and-rewritten damaged_entries_ignored_and_rewritten

concurrent_runs_one_cache() {
    mkdir -p "$WORK/concurrent"
    "$OCISLIM" "${REWRITE[@]}" --cache "$WORK/shared-cache" --report "$WORK/concurrent/deleter.json" \
        "oci:$FLEET:deleter" "$WORK/concurrent/deleter" >/dev/null &
    local first=$!
    "$OCISLIM" "${REWRITE[@]}" --cache "$WORK/shared-cache" --report "$WORK/concurrent/extra-py.json" \
        "oci:$FLEET:extra-py" "$WORK/concurrent/extra-py" >/dev/null
    wait "$first"
    diff -r "$WORK/uncached/deleter" "$WORK/concurrent/deleter"
    diff -r "$WORK/uncached/extra-py" "$WORK/concurrent/extra-py"
    [[ -z $(find "$WORK/shared-cache" -name '.tmp-*') ]]
}
check fleet/concurrent-runs-one-cache concurrent_runs_one_cache

pass_through_hard_linked() {
    # The app layer (index 2) holds no bytecode: passed through, linked to the input's file.
    local digest
    digest=$(jq -r '.images[0].layers[2] | select(.unchanged) | .blob.new | sub("sha256:"; "")' "$WORK/cached/app.json")
    [[ -n $digest ]]
    # (Across filesystems it is copied instead.)
    [[ $(stat -c %d "$FLEET/blobs") == $(stat -c %d "$WORK/cached/app/blobs") ]] || return 0
    [[ $(stat -c %i "$FLEET/blobs/sha256/$digest") == $(stat -c %i "$WORK/cached/app/blobs/sha256/$digest") ]]
}
check fleet/pass-through-hard-linked pass_through_hard_linked

echo "e2e-fleet: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
