#!/usr/bin/env bash
# make-test-image.sh [OUTDIR] — build a real, three-layer Debian + Python OCI image layout
# for ocislim's end-to-end tests (default OUTDIR: <repo>/.cache/images/python-debian, tag "latest").
#
#   layer 1  mmdebstrap bookworm minbase + python3, python3-venv, python3-yaml,
#            python3-requests, python3-six, ca-certificates, and
#            libpython3.11-testsuite (CPython's own regression tests, /usr/lib/python3.11/test,
#            run by scripts/cpython-tests.sh). Debian's postinst byte-compiles
#            everything with py3compile, opt-0 only; SOURCE_DATE_EPOCH (below) is
#            in its environment, so these pycs are checked-hash, as reproducible
#            builds write them (1,813 of them).
#   layer 2  /opt/venv, a venv (with system site-packages) holding pinned wheels
#            from PyPI, byte-compiled at optimization levels 0, 1 and 2 (timestamp
#            pycs: SOURCE_DATE_EPOCH is not in the chroot's environment).
#   layer 3  /app/main.py (the image Cmd) and the deletion of one stdlib pyc from
#            layer 1, so that this layer carries a whiteout (.wh.) entry.
#
# Cached: when OUTDIR holds a stamp file with the sha256 of this script, the script
# exits at once. Otherwise it builds in a temp dir beside OUTDIR and renames the
# finished layout into place, so OUTDIR is either absent, stale or complete.
# Needs root (mmdebstrap --mode=root, chroot, umoci unpack of device nodes) and
# network access to the Debian mirror and PyPI. Takes two to three minutes.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
OUTDIR=${1:-$SCRIPT_DIR/../.cache/images/python-debian}   # the repo's git-ignored .cache/
OUTDIR=${OUTDIR%/}
TAG=latest
# The stamp lives inside the layout: the layout and its stamp appear in one rename.
# Extra files in a layout are allowed by the image-spec and ignored by the tools.
STAMP_NAME=.make-test-image.sha256
INPUTS_NAME=.make-test-image.inputs
STAMP_WANT=$(sha256sum "$SCRIPT_PATH" | cut -d' ' -f1)

# Reproducible: the same Debian packages and wheels give the same layers, byte for byte,
# so the README's sizes can be measured again. SOURCE_DATE_EPOCH is every "created"
# timestamp umoci writes and the mtime of every file a build step writes (clamp_new_files):
# files from Debian packages keep their packages' mtimes, which their pycs record. Bytecode
# is compiled after its sources are clamped (pyc headers record their source's mtime) and
# with PYTHONHASHSEED=0 (set constants are marshalled in hash order). mmdebstrap does its
# cleanup (machine-id, logs, apt caches); ldconfig's aux-cache (inode numbers) goes too.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}   # 2024-01-01T00:00:00Z
export PYTHONHASHSEED=0
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

# Pinned PyPI distributions for the venv layer (pure-Python wheels, py3.11-compatible).
VENV_REQUIREMENTS=(six==1.16.0 attrs==23.2.0 idna==3.7 packaging==24.1 click==8.1.7)

# The pyc that layer 3 deletes (present in layer 1 thanks to py3compile).
WHITEOUT_PYC=usr/lib/python3.11/__pycache__/colorsys.cpython-311.pyc

# start_step: remember when a build step starts; clamp_new_files: give every file, directory
# and symlink the step wrote or changed the mtime SOURCE_DATE_EPOCH. The mark is two seconds
# early: the kernel stamps files with a coarse clock, so a file written right after the mark
# could carry the mark's own time and not count as newer. Nothing older than the step is
# newer than that (package files carry their packages' dates, earlier steps' files the epoch).
start_step() { touch -d "@$(($(date +%s) - 2))" "$WORK/step-started"; }
clamp_new_files() {
    find "$ROOTFS" -xdev -newer "$WORK/step-started" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

log() { printf '[make-test-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

have_stamp() {
    [[ -f "$OUTDIR/$STAMP_NAME" ]] && [[ "$(cat "$OUTDIR/$STAMP_NAME")" == "$STAMP_WANT" ]]
}

# Fast path: nothing to do.
if have_stamp; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "make-test-image: must run as root (mmdebstrap --mode=root, chroot)" >&2
    exit 1
fi
for tool in mmdebstrap umoci skopeo oci-image-tool jq chroot; do
    command -v "$tool" >/dev/null || { echo "make-test-image: missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$(dirname "$OUTDIR")"
# Serialize concurrent builds of the same OUTDIR; re-check the stamp once we hold the lock.
exec 9>"$OUTDIR.lock"
flock 9
if have_stamp; then
    exit 0
fi

WORK=$(mktemp -d "$(dirname "$OUTDIR")/.make-test-image.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

LAYOUT="$WORK/layout"
BUNDLE="$WORK/bundle"
ROOTFS="$BUNDLE/rootfs"
IMAGE="$LAYOUT:$TAG"
START=$SECONDS

# ---------------------------------------------------------------------------------------
# Empty image and its base config. umoci repack builds on the manifest the bundle was
# unpacked from, so all config edits happen before the first unpack or after the last
# repack; edits in between would be lost.
log "init layout"
umoci init --layout "$LAYOUT"
umoci new --image "$IMAGE"
umoci config --image "$IMAGE" --no-history \
    --created "$CREATED" --author "ocislim scripts/make-test-image.sh" \
    --architecture amd64 --os linux \
    --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --config.env "LANG=C.UTF-8" \
    --config.workingdir / \
    --config.cmd /usr/bin/python3
umoci unpack --image "$IMAGE" "$BUNDLE"

# ---------------------------------------------------------------------------------------
# Layer 1: Debian minbase + Python, straight into the (empty) bundle rootfs.
# resolv.conf and hostname are copied from the host by mmdebstrap; drop them so the
# layer does not depend on the build host.
log "layer 1: mmdebstrap"
start_step
# shellcheck disable=SC2016  # "$1" is expanded by mmdebstrap's hook, not here
mmdebstrap --mode=root --variant=minbase --quiet \
    --include=python3,python3-venv,python3-yaml,python3-requests,python3-six,ca-certificates,libpython3.11-testsuite \
    --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname" "$1/var/cache/ldconfig/aux-cache"' \
    bookworm "$ROOTFS"
if [[ ! -f "$ROOTFS/$WHITEOUT_PYC" ]]; then
    echo "make-test-image: expected $WHITEOUT_PYC in layer 1" >&2
    exit 1
fi
clamp_new_files
log "layer 1: repack"
umoci repack --image "$IMAGE" --refresh-bundle \
    --history.created "$CREATED" --history.created_by "mmdebstrap bookworm minbase + python3" \
    "$BUNDLE"

# ---------------------------------------------------------------------------------------
# Layer 2: a venv from PyPI, created by the image's own python inside a chroot.
# The host's CA bundle goes in temporarily (the network may sit behind an
# intercepting proxy whose CA only the host trusts), as does resolv.conf; both are
# removed before the repack.
log "layer 2: venv + pip install ${VENV_REQUIREMENTS[*]}"
start_step
CA_IN_ROOT=/tmp/make-test-image-ca.crt
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS$CA_IN_ROOT"
in_root() {
    chroot "$ROOTFS" env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 \
        PIP_CERT="$CA_IN_ROOT" SSL_CERT_FILE="$CA_IN_ROOT" \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_DEFAULT_TIMEOUT=120 PYTHONHASHSEED=0 \
        "$@"
}
# --system-site-packages: /app/main.py uses Debian's yaml and requests from the venv
# interpreter, as many real images do. --ignore-installed: otherwise pip would skip six,
# which Debian already provides at the same version, and the venv would not hold it.
in_root python3 -m venv --system-site-packages /opt/venv
in_root /opt/venv/bin/pip install --no-cache-dir --ignore-installed --no-deps --no-compile \
    "${VENV_REQUIREMENTS[@]}"
rm -f "$ROOTFS/etc/resolv.conf" "$ROOTFS$CA_IN_ROOT"
clamp_new_files
# Compile after clamping, so every pyc records its source's final mtime (this recompiles
# the pycs ensurepip wrote for pip itself). Opt-0 pycs as pip would have written them,
# plus opt-1 and opt-2 pycs as Fedora ships them (compileall -o 0 -o 1,
# and opt-2 as other distros did): that gives drop-optimized something to drop and dedup
# byte-identical pyc pairs to hardlink (opt-0 == opt-1 for modules without asserts,
# opt-1 == opt-2 for modules without docstrings). No --hardlink-dupes here on purpose:
# hardlinking is ocislim's job. Timestamp pycs (no SOURCE_DATE_EPOCH inside), like Fedora.
start_step
in_root /opt/venv/bin/python -m compileall -q -o 0 -o 1 -o 2 /opt/venv/lib
clamp_new_files
log "layer 2: repack"
umoci repack --image "$IMAGE" --refresh-bundle \
    --history.created "$CREATED" \
    --history.created_by "python3 -m venv /opt/venv; pip install ${VENV_REQUIREMENTS[*]}; compileall -o 0 -o 1 -o 2" \
    "$BUNDLE"

# ---------------------------------------------------------------------------------------
# Layer 3: the application, plus a deletion of a file from layer 1 (→ whiteout entry).
log "layer 3: /app/main.py + whiteout of /$WHITEOUT_PYC"
start_step
mkdir -p "$ROOTFS/app"
cat > "$ROOTFS/app/main.py" <<'PY'
"""ocislim e2e test application: imports stdlib, Debian and venv modules, prints one line.

The output must be deterministic: ocislim's end-to-end test compares it before and
after rewriting the image.
"""
import base64
import collections
import dataclasses
import decimal
import email.message
import fractions
import hashlib
import importlib.metadata
import json
import sqlite3
import sys
import textwrap
import xml.etree.ElementTree as ET
import zlib

import requests          # Debian (system site-packages)
import yaml              # Debian, with the C extension _yaml
import six               # venv copy shadows Debian's
import attr              # venv
import click             # venv
import click.testing
import idna              # venv
import packaging.version # venv
import packaging.specifiers


@attr.s(frozen=True)
class Point:
    x = attr.ib()
    y = attr.ib()


@dataclasses.dataclass
class Box:
    name: str
    size: int


@click.command()
@click.option("--count", default=1, type=int)
@click.argument("name")
def hello(count, name):
    for _ in range(count):
        click.echo(f"hi {name}")


def main():
    parts = collections.OrderedDict()
    parts["python"] = "%d.%d" % sys.version_info[:2]
    parts["json"] = json.dumps({"b": [1, 2], "a": None}, sort_keys=True)
    parts["yaml"] = yaml.safe_dump({"a": 1, "b": ["x", "y"]}, default_flow_style=True).strip()
    parts["yaml_c"] = hasattr(yaml, "CSafeLoader")
    parts["sha256"] = hashlib.sha256(b"ocislim").hexdigest()[:16]
    parts["zlib"] = zlib.crc32(b"ocislim")
    parts["b64"] = base64.b64encode(b"\x00\xffpy").decode()
    parts["decimal"] = str(decimal.Decimal(1) / decimal.Decimal(7))[:10]
    parts["fraction"] = str(fractions.Fraction(3, 12))
    db = sqlite3.connect(":memory:")
    parts["sqlite"] = db.execute("select 6 * 7").fetchone()[0]
    parts["xml"] = ET.tostring(ET.fromstring("<a><b>t</b></a>").find("b"), encoding="unicode")
    msg = email.message.EmailMessage()
    msg["Subject"] = "ocislim"
    parts["email"] = msg["subject"]
    parts["textwrap"] = textwrap.shorten("one two three four five", width=12)
    parts["dataclass"] = repr(Box("b", 3))
    parts["requests"] = requests.Request("GET", "http://example.invalid/p", params={"q": "a b"}).prepare().url
    parts["six"] = "%s:%s" % (six.__version__, six.PY3)
    parts["attrs"] = "%s:%r" % (importlib.metadata.version("attrs"), Point(1, 2))
    parts["click"] = "%s:%s" % (
        importlib.metadata.version("click"),
        click.testing.CliRunner().invoke(hello, ["--count", "2", "you"]).output.replace("\n", "|"),
    )
    parts["idna"] = "%s:%s" % (importlib.metadata.version("idna"), idna.encode("bücher.example").decode())
    parts["packaging"] = "%s:%s" % (
        importlib.metadata.version("packaging"),
        packaging.version.Version("1.10rc1") in packaging.specifiers.SpecifierSet(">=1.9,<2", prereleases=True),
    )
    print(" ".join("%s=%s" % kv for kv in parts.items()))


if __name__ == "__main__":
    main()
PY
rm "$ROOTFS/$WHITEOUT_PYC"
clamp_new_files
log "layer 3: repack"
umoci repack --image "$IMAGE" --refresh-bundle \
    --history.created "$CREATED" --history.created_by "add /app/main.py; rm /$WHITEOUT_PYC" \
    "$BUNDLE"

# What went in, for scripts/check-reproducible-image.sh: the same inputs must give the same layers.
{
    dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -W -f '${Package}=${Version}\n'
    find "$ROOTFS/opt/venv/lib" -maxdepth 3 -name '*.dist-info' -printf '%f\n' | sort
} >"$LAYOUT/$INPUTS_NAME"

# Final config: run the app with the venv interpreter.
umoci config --image "$IMAGE" --no-history --created "$CREATED" \
    --config.env "PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --clear config.cmd \
    --config.cmd /opt/venv/bin/python --config.cmd /app/main.py
umoci gc --layout "$LAYOUT"

# ---------------------------------------------------------------------------------------
# Verify with independent tools before publishing the layout.
log "verify"
oci-image-tool validate --type image --ref name="$TAG" "$LAYOUT" >&2
skopeo inspect "oci:$LAYOUT:$TAG" >/dev/null
skopeo inspect --config "oci:$LAYOUT:$TAG" | jq -c '.config | {Env, Cmd}' >&2

printf '%s\n' "$STAMP_WANT" > "$LAYOUT/$STAMP_NAME"
rm -rf "$OUTDIR"
mv -T "$LAYOUT" "$OUTDIR"

# Sizes of what was built.
manifest_digest=$(jq -r --arg tag "$TAG" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' \
    "$OUTDIR/index.json")
manifest="$OUTDIR/blobs/${manifest_digest/://}"
echo "image $OUTDIR:$TAG built in $((SECONDS - START)) s"
echo "manifest $manifest_digest $(stat -c %s "$manifest") bytes"
jq -r '"config   \(.config.digest) \(.config.size) bytes",
       (.layers | to_entries[] | "layer \(.key + 1)  \(.value.digest) \(.value.size) bytes \(.value.mediaType)")' \
    "$manifest"
echo "total    $(du -sb "$OUTDIR/blobs" | cut -f1) bytes in blobs"
