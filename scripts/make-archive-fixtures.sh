#!/usr/bin/env bash
# make-archive-fixtures.sh [SRC_LAYOUT] [OUTDIR] — one image archive per `docker save` shape (issue 9),
# made from the real test image (default SRC_LAYOUT: <repo>/.cache/images/python-debian, tag "latest",
# built by scripts/make-test-image.sh; default OUTDIR: <repo>/.cache/images/archives).
#
#   shape1-docker-legacy.tar      a real `docker save` by Debian's dockerd 20.10 (legacy format:
#                                 <v1id>/{VERSION,json,layer.tar}, <imageid>.json, manifest.json,
#                                 repositories) of two images: ocislim/test:latest and ocislim/test:extra
#                                 = :latest + one small layer stored twice (umoci insert of the same
#                                 file). Layers seen twice: the top layer of :latest is a lower layer
#                                 of :extra (another v1 id), and :extra's last two layers share a
#                                 diffID, so dockerd writes relative symlinks to another layer.tar
#   shape2-docker25.tar           Docker 25+ (classic store) `docker save`, written by
#                                 scripts/write-docker-archive.py docker25, which follows moby's writer
#   shape3-containerd.tar         a real `ctr images export` (containerd 1.6) of the image imported
#                                 from oci-archive.tar: gzip blobs as pulled, index.json without mediaType
#   shape3-containerd-sparse.tar  a real `ctr images export` (default platform only) of a two-platform
#                                 index (linux/amd64 = the test image, linux/arm64/v8 = a stand-in): the
#                                 index names both, the arm64 manifest and its blobs are absent
#   shape4-skopeo.tar             `skopeo copy … docker-archive:` (RepoTag localhost/ocislim/test:latest)
#   shape5-crane.tar              go-containerregistry tarball.Write, by write-docker-archive.py crane
#                                 (RepoTag localhost:5000/ocislim/test:latest)
#   shape6-dotslash.tar           shape 4 re-tarred: "./" names, repeated directory records,
#                                 members shuffled with a fixed seed
#   oci-archive.tar               `skopeo copy … oci-archive:FILE:latest`
# plus FIXTURES.txt (tool versions, sizes, sha256 and the first members of each archive).
#
# Cached: OUTDIR holds a stamp with the sha256 of this script and write-docker-archive.py and of the
# source's index.json; when it matches, the script exits at once (archive-loaders.sh, which only
# starts and stops the daemons, is not part of the key).
# Otherwise it builds in a temp dir beside OUTDIR and renames the finished directory into place.
# Daemons (dockerd, containerd) run on private sockets under a temp dir, stopped by PID on exit.
# Needs root. Measured on the 2-core machine (cached miss): 74-82 s; 1.85 GB in OUTDIR.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=${1:-$SCRIPT_DIR/../.cache/images/python-debian}
OUTDIR=${2:-$SCRIPT_DIR/../.cache/images/archives}
SRC=${SRC%/}
OUTDIR=${OUTDIR%/}
TAG=latest
STAMP_NAME=.make-archive-fixtures.sha256
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}

log() { printf '[make-archive-fixtures %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ -f "$SRC/index.json" ]] || { echo "make-archive-fixtures: no OCI layout at $SRC (run scripts/make-test-image.sh)" >&2; exit 1; }
STAMP_WANT=$( {
    sha256sum "$SCRIPT_DIR/make-archive-fixtures.sh" "$SCRIPT_DIR/write-docker-archive.py" | cut -d' ' -f1
    sha256sum "$SRC/index.json" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
have_stamp() { [[ -f "$OUTDIR/$STAMP_NAME" && "$(cat "$OUTDIR/$STAMP_NAME")" == "$STAMP_WANT" ]]; }

if have_stamp; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "make-archive-fixtures: must run as root (dockerd, containerd)" >&2
    exit 1
fi
for tool in dockerd containerd ctr skopeo umoci jq python3 /usr/bin/docker; do
    command -v "$tool" >/dev/null || { echo "make-archive-fixtures: missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done
# shellcheck source=scripts/archive-loaders.sh
source "$SCRIPT_DIR/archive-loaders.sh"

mkdir -p "$(dirname "$OUTDIR")"
exec 9>"$OUTDIR.lock"
flock 9
if have_stamp; then
    exit 0
fi

WORK=$(mktemp -d "$(dirname "$OUTDIR")/.make-archive-fixtures.XXXXXX")
DAEMONS=
cleanup() {
    [[ -z "$DAEMONS" ]] || al_stop "$DAEMONS"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
OUT="$WORK/archives"
mkdir -p "$OUT"
START=$SECONDS
WRITER=(python3 "$SCRIPT_DIR/write-docker-archive.py")

# ---------------------------------------------------------------------------------------------
log "oci-archive.tar, shape4-skopeo.tar (skopeo $(skopeo --version | awk '{ print $3 }'))"
skopeo copy -q "oci:$SRC:$TAG" "oci-archive:$OUT/oci-archive.tar:$TAG"
skopeo copy -q "oci:$SRC:$TAG" "docker-archive:$OUT/shape4-skopeo.tar:localhost/ocislim/test:latest"

log "shape2-docker25.tar, shape5-crane.tar (write-docker-archive.py)"
"${WRITER[@]}" docker25 "$SRC" "$OUT/shape2-docker25.tar" --ref "$TAG" --tag ocislim/test:latest \
    --now "$SOURCE_DATE_EPOCH"
"${WRITER[@]}" crane "$SRC" "$OUT/shape5-crane.tar" --ref "$TAG" --tag localhost:5000/ocislim/test:latest

log "shape6-dotslash.tar (shape 4 re-tarred)"
"${WRITER[@]}" retar-dotslash "$OUT/shape4-skopeo.tar" "$OUT/shape6-dotslash.tar" --seed 6

# ---------------------------------------------------------------------------------------------
DAEMONS=$(al_workdir ocislim-fixtures)
log "start containerd + dockerd (vfs) under $DAEMONS"
al_start_dockerd "$DAEMONS"

log "shape1-docker-legacy.tar: docker load of :latest and :extra (two more layers), docker save"
al_docker "$DAEMONS" load -q -i "$OUT/shape4-skopeo.tar" >&2
al_docker "$DAEMONS" tag localhost/ocislim/test:latest ocislim/test:latest
al_docker "$DAEMONS" rmi localhost/ocislim/test:latest >/dev/null
# :extra = :latest + the same one-file layer twice (umoci raw add-layer on a copy of SRC; SRC is never
# written). `docker commit` of an unchanged container adds no layer, and a changed one costs
# two full vfs copies of the rootfs (40 s each here), so the second image is built with umoci
# and loaded instead. The layer is a tar made by GNU tar: Debian's umoci 0.4.7 `insert` writes an
# unterminated tar (no padding after the last file's data, no end-of-archive blocks), which GNU tar
# and libarchive refuse as truncated (and ocislim with them), while docker load accepts it.
cp -r "$SRC" "$WORK/extra-layout"
mkdir -p "$WORK/extra-root"
printf 'ocislim archive fixture: one layer, stored twice\n' >"$WORK/extra-root/extra.txt"
touch -d "@$SOURCE_DATE_EPOCH" "$WORK/extra-root/extra.txt"
tar --format=pax --pax-option=delete=atime,delete=ctime --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -C "$WORK/extra-root" -cf "$WORK/extra-layer.tar" extra.txt
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
for t in extra-1 extra; do
    from=$TAG
    [[ $t == extra ]] && from=extra-1
    umoci raw add-layer --image "$WORK/extra-layout:$from" --tag "$t" --history.created "$CREATED" \
        --history.created_by "add /extra.txt" "$WORK/extra-layer.tar"
done
umoci config --image "$WORK/extra-layout:extra" --no-history --created "$CREATED"
skopeo copy -q "oci:$WORK/extra-layout:extra" "docker-archive:$WORK/extra.tar:ocislim/test:extra"
rm -rf "$WORK/extra-layout"
al_docker "$DAEMONS" load -q -i "$WORK/extra.tar" >&2
rm -f "$WORK/extra.tar"
al_docker "$DAEMONS" save -o "$OUT/shape1-docker-legacy.tar" ocislim/test:latest ocislim/test:extra
# (The listing goes to a file first: `tar | grep -q` under pipefail fails when grep exits early.)
tar tvf "$OUT/shape1-docker-legacy.tar" >"$WORK/shape1-members.txt"
if ! grep -q '^l.*/layer.tar -> \.\./' "$WORK/shape1-members.txt"; then
    echo "make-archive-fixtures: docker save wrote no layer.tar symlink" >&2
    exit 1
fi

log "shape3-containerd.tar: ctr images import (oci-archive.tar), ctr images export"
al_ctr "$DAEMONS" images import --no-unpack --base-name docker.io/ocislim/test "$OUT/oci-archive.tar" >&2
al_ctr "$DAEMONS" images export "$OUT/shape3-containerd.tar" docker.io/ocislim/test:latest

log "shape3-containerd-sparse.tar: ctr import of a two-platform index, export of the default platform"
"${WRITER[@]}" multiplatform-oci-archive "$SRC" "$WORK/multiplatform.tar" --ref "$TAG"
ctr -a "$DAEMONS/containerd/c.sock" -n sparse images import --no-unpack --base-name docker.io/ocislim/test-multiarch \
    "$WORK/multiplatform.tar" >&2
ctr -a "$DAEMONS/containerd/c.sock" -n sparse images export "$OUT/shape3-containerd-sparse.tar" \
    docker.io/ocislim/test-multiarch:latest
rm -f "$WORK/multiplatform.tar"

VERSIONS=$(
    echo "dockerd:    $(dockerd --version)"
    echo "containerd: $(containerd --version)"
    echo "skopeo:     $(skopeo --version)"
)
al_stop "$DAEMONS"
DAEMONS=

# ---------------------------------------------------------------------------------------------
log "checks and FIXTURES.txt"
# Every archive must at least be readable by skopeo.
skopeo inspect --raw "docker-archive:$OUT/shape1-docker-legacy.tar:ocislim/test:extra" | jq -e '.layers | length == 5' >/dev/null
for f in shape2-docker25 shape4-skopeo shape5-crane shape6-dotslash; do
    skopeo inspect --raw "docker-archive:$OUT/$f.tar" | jq -e '.layers | length == 3' >/dev/null
done
skopeo inspect --raw "oci-archive:$OUT/oci-archive.tar:$TAG" | jq -e '.layers | length == 3' >/dev/null
# write-docker-archive.py's legacy v1 JSON blobs (and so the v1 ids inside them) must be byte-identical
# to the <v1id>/json files the real dockerd wrote for the same image: both come from moby's V1Image
# marshalling and v1.CreateID.
python3 - "$OUT/shape1-docker-legacy.tar" "$OUT/shape2-docker25.tar" <<'PY'
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as legacy:
    manifest = json.load(legacy.extractfile("manifest.json"))
    (item,) = [m for m in manifest if m["RepoTags"] == ["ocislim/test:latest"]]
    want = {hashlib.sha256(legacy.extractfile(l.replace("/layer.tar", "/json")).read()).hexdigest()
            for l in item["Layers"]}
with tarfile.open(sys.argv[2]) as docker25:
    have = {n.rsplit("/", 1)[1] for n in docker25.getnames() if n.startswith("blobs/sha256/")}
missing = want - have
if missing:
    sys.exit("make-archive-fixtures: shape 2 lacks dockerd's v1 JSON blobs %s" % sorted(missing))
PY
{
    echo "# Image archive fixtures for issue 9, made by scripts/make-archive-fixtures.sh from"
    echo "# $SRC (index.json sha256 $(sha256sum "$SRC/index.json" | cut -d' ' -f1))"
    echo "$VERSIONS"
    echo "source date epoch: $SOURCE_DATE_EPOCH"
    echo
    for f in "$OUT"/*.tar; do
        echo "== $(basename "$f")  $(stat -c %s "$f") bytes  sha256 $(sha256sum "$f" | cut -d' ' -f1)"
        tar tvf "$f" | sed -n 1,25p
        echo
    done
    echo "total $(du -cb "$OUT"/*.tar | tail -n 1 | cut -f1) bytes"
} >"$OUT/FIXTURES.txt"

printf '%s\n' "$STAMP_WANT" >"$OUT/$STAMP_NAME"
rm -rf "$OUTDIR"
mv -T "$OUT" "$OUTDIR"
echo "archives in $OUTDIR built in $((SECONDS - START)) s"
ls -l "$OUTDIR"
