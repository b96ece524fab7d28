#!/usr/bin/env bash
# make-fleet-fixture.sh [OUTDIR] — issue 11's fleet fixture: one OCI layout (default .cache/images/fleet) holding
# four images built on the real test image (make-test-image.sh), sharing its three layers (base: Debian + python3
# and its stdlib; venv: PyPI wheels; app: /app/main.py) and differing above them:
#   app        the test image itself
#   deleter    + a layer deleting files the base has (a whiteout of a stdlib module and of its bytecode)
#   extra-py   + a layer of Python files of its own (a package with sources and CPython 3.11 bytecode)
#   config     + a layer of one text file
# Each upper layer is a tar made by GNU tar and added with `umoci raw add-layer` (as make-archive-fixtures.sh makes
# its :extra layer; Debian's umoci 0.4.7 `insert` writes unterminated tars).
# Cached: when OUTDIR holds a stamp with the sha256 of this script and of the source image's index.json, the script
# exits at once; otherwise it builds beside OUTDIR and renames the finished layout into place.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
OUTDIR=${1:-$SCRIPT_DIR/../.cache/images/fleet}
OUTDIR=${OUTDIR%/}
SRC=${FLEET_SOURCE_IMAGE:-$SCRIPT_DIR/../.cache/images/python-debian}
STAMP_NAME=.make-fleet-fixture.sha256
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

bash "$SCRIPT_DIR/make-test-image.sh" "$SRC" >/dev/null
STAMP_WANT=$(cat "$SCRIPT_PATH" "$SRC/index.json" | sha256sum | cut -d' ' -f1)
if [[ -f $OUTDIR/$STAMP_NAME && $(cat "$OUTDIR/$STAMP_NAME") == "$STAMP_WANT" ]]; then
    echo "$OUTDIR"
    exit 0
fi

WORK=$(mktemp -d "$(dirname "$OUTDIR")/.fleet-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LAYOUT=$WORK/layout
cp -r "$SRC" "$LAYOUT"
rm -f "$LAYOUT"/.make-test-image.sha256
umoci tag --image "$LAYOUT:latest" app

# add_layer TAG TREE CREATED_BY — TREE tarred by GNU tar (pax, owner root, fixed mtime), added above :app.
add_layer() {
    local tag=$1 tree=$2 created_by=$3
    tar --format=pax --pax-option=delete=atime,delete=ctime --owner=0 --group=0 --numeric-owner \
        --mtime="@$SOURCE_DATE_EPOCH" --sort=name -C "$tree" -cf "$WORK/$tag.tar" .
    umoci raw add-layer --image "$LAYOUT:app" --tag "$tag" --history.created "$CREATED" \
        --history.created_by "$created_by" "$WORK/$tag.tar"
}

# deleter: colorsys.py and its bytecode, both in the base layer, deleted.
mkdir -p "$WORK/deleter/usr/lib/python3.11/__pycache__"
: >"$WORK/deleter/usr/lib/python3.11/.wh.colorsys.py"
: >"$WORK/deleter/usr/lib/python3.11/__pycache__/.wh.colorsys.cpython-311.pyc"
add_layer deleter "$WORK/deleter" "delete colorsys"

# extra-py: a package of its own, with timestamp bytecode made by a CPython 3.11 when the host has one.
PKG=$WORK/extra-py/usr/local/lib/python3.11/dist-packages/fleetpkg
mkdir -p "$PKG"
for module in __init__ alpha beta gamma; do
    printf '"""fleet fixture module %s."""\n\nVALUE = %s\n\n\ndef answer():\n    return VALUE * 2\n' \
        "$module" "${#module}" >"$PKG/$module.py"
done
touch -d "@$SOURCE_DATE_EPOCH" "$PKG"/*.py
if command -v python3.11 >/dev/null; then
    python3.11 -m compileall -q "$PKG"
fi
add_layer extra-py "$WORK/extra-py" "add fleetpkg"

# config: one text file.
mkdir -p "$WORK/config/etc/fleet"
printf 'fleet fixture: region=eu\n' >"$WORK/config/etc/fleet/settings.conf"
add_layer config "$WORK/config" "add /etc/fleet/settings.conf"

umoci rm --image "$LAYOUT:latest"
umoci gc --layout "$LAYOUT"
echo "$STAMP_WANT" >"$LAYOUT/$STAMP_NAME"
rm -rf "$OUTDIR"
mv "$LAYOUT" "$OUTDIR"
echo "$OUTDIR"
