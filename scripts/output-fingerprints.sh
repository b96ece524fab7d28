#!/usr/bin/env bash
# output-fingerprints.sh — one line per strategy and codec: the sha256 of the rewritten image's index.json.
#
#   OCISLIM=path/to/ocislim scripts/output-fingerprints.sh [IMAGE]    (default image: .cache/images/python-debian)
#
# index.json pins every manifest digest, each manifest its config and layer digests: equal lines mean
# byte-identical outputs. Run it with the binaries before and after a refactor that must not change behaviour
# and diff the two outputs (CONTRIBUTING.md).
set -euo pipefail
OCISLIM=${OCISLIM:-.build-static/release/ocislim}
IMAGE=${1:-.cache/images/python-debian}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

variants=(
    "dedup" "drop-optimized" "drop-bytecode" "sourceless" "sourceless --sources drop"
    "sourceless --source-hook"
)
for variant in "${variants[@]}"; do
    for compression in keep gzip zstd none; do
        # shellcheck disable=SC2086  # the variant is a list of words
        "$OCISLIM" rewrite -q --strategy $variant --compression "$compression" "$IMAGE" "$WORK/out" >/dev/null
        printf '%-28s %-5s %s\n' "$variant" "$compression" "$(sha256sum < "$WORK/out/index.json" | cut -d' ' -f1)"
        rm -rf "$WORK/out"
    done
done
