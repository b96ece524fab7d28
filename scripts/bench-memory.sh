#!/usr/bin/env bash
# Peak RSS of `ocislim rewrite` on synthetic one-layer images of growing size: it must stay flat.
# usage: scripts/bench-memory.sh [SIZE_MIB ...]   (default: 64 512)
set -euo pipefail
cd "$(dirname "$0")/.."
OCISLIM=${OCISLIM:-.build/release/ocislim}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(64 512)
mkdir -p .cache/synthetic .cache/bench
printf '%-10s %-12s %-12s %-10s %s\n' "layer" "compressed" "uncompressed" "wall" "peak RSS"
for size in "${sizes[@]}"; do
    image=.cache/synthetic/layer-${size}MiB
    python3 scripts/make-synthetic-image.py "$size" "$image"
    out=.cache/bench/out-${size}
    rm -rf "$out" "$out.json"
    /usr/bin/time -f '%e %M' -o .cache/bench/time-$size "$OCISLIM" rewrite -q --strategy drop-bytecode \
        --report "$out.json" "$image" "$out" >/dev/null
    read -r wall rss_kib < .cache/bench/time-$size
    compressed=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["totals"]["compressedSize"]["old"])' "$out.json")
    uncompressed=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["totals"]["uncompressedSize"]["old"])' "$out.json")
    printf '%-10s %-12s %-12s %-10s %s MiB\n' "${size} MiB" "$((compressed >> 20)) MiB" "$((uncompressed >> 20)) MiB" \
        "${wall} s" "$((rss_kib / 1024))"
    rm -rf "$out"
done
