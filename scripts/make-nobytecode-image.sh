#!/usr/bin/env bash
# make-nobytecode-image.sh SOURCE OUTDIR — a docker-library-style image made from the test image: the official python
# images delete every __pycache__ (and ship sources only), so this one is SOURCE (scripts/make-test-image.sh's layout)
# with one more layer that whites out every __pycache__ directory, and a config that runs as the image's user
# `nobody` (as images that drop root do), so `ocislim verify` imports as that user. Tag "latest".
#
# Made with umoci: unpack, delete, repack (one layer of whiteouts), config --config.user. Cached: OUTDIR holds a stamp
# with the sha256 of this script and of SOURCE's index.json; when it matches, the script exits at once. Built in a
# temp dir beside OUTDIR and renamed into place. Needs root (umoci unpack of device nodes). About a minute.
set -euo pipefail

SOURCE=${1:?usage: make-nobytecode-image.sh SOURCE OUTDIR}
OUTDIR=${2:?usage: make-nobytecode-image.sh SOURCE OUTDIR}
OUTDIR=${OUTDIR%/}
STAMP_NAME=.make-nobytecode-image.sha256
STAMP_WANT=$(cat "${BASH_SOURCE[0]}" "$SOURCE/index.json" | sha256sum | cut -d' ' -f1)
have_stamp() { [[ -f "$OUTDIR/$STAMP_NAME" && "$(cat "$OUTDIR/$STAMP_NAME")" == "$STAMP_WANT" ]]; }
have_stamp && exit 0

mkdir -p "$(dirname "$OUTDIR")"
exec 9>"$OUTDIR.lock"
flock 9
have_stamp && exit 0

WORK=$(mktemp -d "$(dirname "$OUTDIR")/.make-nobytecode-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -r "$SOURCE" "$WORK/layout"
rm -f "$WORK/layout"/.make-*
umoci unpack --image "$WORK/layout:latest" "$WORK/bundle" >/dev/null
find "$WORK/bundle/rootfs" -depth -type d -name __pycache__ -exec rm -rf {} +
umoci repack --image "$WORK/layout:latest" --history.created "2024-01-01T00:00:00Z" \
    --history.created_by "find / -depth -type d -name __pycache__ -exec rm -rf {} +" "$WORK/bundle" >/dev/null
umoci config --image "$WORK/layout:latest" --no-history --config.user nobody
umoci gc --layout "$WORK/layout"
rm -rf "$WORK/bundle"
echo "$STAMP_WANT" >"$WORK/layout/$STAMP_NAME"
rm -rf "$OUTDIR"
mv -T "$WORK/layout" "$OUTDIR"
