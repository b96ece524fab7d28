#!/usr/bin/env bash
# make-ocislim-image.sh OCISLIM_BINARY [OUTDIR] — build ocislim's own OCI image (issue 13; `make image`).
#
#   layer 1  the shared libraries the static-stdlib binary links and what they need, unpacked from Debian bookworm
#            by mmdebstrap --variant=extract: libarchive13, libssl3 (libcrypto), zlib1g, libzstd1, libdeflate0,
#            libisal2, libstdc++6, and their dependencies (libc6, libgcc-s1, libxml2, libicu72, ...); nothing else: no
#            shell, no package manager, no documentation, man pages or locales (copyright files stay). /etc/passwd
#            and /etc/group name root and the user `ocislim` (65532); its home and /work (the working directory)
#            belong to it.
#   layer 2  /usr/local/bin/ocislim, OCISLIM_BINARY stripped (`make static` builds it with the Swift runtime and
#            Foundation linked in).
#   config   Entrypoint ["ocislim"], Cmd ["--help"], User 65532:65532, WorkingDir /work, the version and commit as
#            org.opencontainers.image.* labels.
# The image is then slimmed by ocislim itself (`rewrite --strategy drop-bytecode`; it holds no Python, so ocislim
# says there is nothing to do) and written to OUTDIR (default <repo>/.cache/image) as
#   OUTDIR/ocislim                 an OCI layout, tagged with the version (`ocislim --version`), and
#   OUTDIR/ocislim-VERSION.tar     a docker-archive of it, tagged ocislim:VERSION (docker load, podman load).
#
# Reproducible: every timestamp (file mtimes in both layers, config and history "created") is SOURCE_DATE_EPOCH —
# for layer 1 a fixed date, for layer 2 and the config the commit date of HEAD unless SOURCE_DATE_EPOCH is set —
# so the same binary and the same Debian packages give the same digests.
#
# Cached in two steps, each with a stamp inside the layout it belongs to (a layout and its stamp appear in one
# rename): OUTDIR/base (layer 1 and the config; stamp: this script's sha256) is built once, in about a minute,
# with network access to the Debian mirror; OUTDIR/ocislim (stamp: the script's and the binary's sha256) is
# rebuilt from it in seconds whenever the binary changes. Needs root (mmdebstrap --mode=root, umoci unpack).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
REPO=$(cd "$SCRIPT_DIR/.." && pwd)

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: make-ocislim-image.sh OCISLIM_BINARY [OUTDIR]" >&2
    exit 64
fi
BINARY=$(realpath "$1")
OUTDIR=$(realpath -m "${2:-$REPO/.cache/image}")
BASE="$OUTDIR/base"
FINAL="$OUTDIR/ocislim"
STAMP_NAME=.make-ocislim-image.sha256
BASE_TAG=base

# Layer 1's timestamps: fixed, so that the cached base does not depend on when or from which commit it was built.
# (The packages themselves are whatever the mirror serves: a Debian point release changes the base's digest.)
BASE_EPOCH=1704067200   # 2024-01-01T00:00:00Z
# The run-time libraries of the static-stdlib binary (`readelf -d`: NEEDED), by their Debian bookworm packages.
RUNTIME_PACKAGES=libarchive13,libssl3,zlib1g,libzstd1,libdeflate0,libisal2,libstdc++6
USER_ID=65532

log() { printf '[make-ocislim-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
iso_date() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# Every file, directory and symlink under $1 newer than the epoch $2 gets the epoch as its mtime.
clamp_mtimes() { find "$1" -newermt "@$2" -exec touch --no-dereference --date="@$2" {} +; }

if [[ ! -x "$BINARY" ]]; then
    echo "make-ocislim-image: $BINARY is not an executable (build it: make static)" >&2
    exit 1
fi
# "ocislim 0.3.0 (commit d8fe0842e2cd)" → version and commit.
VERSION_LINE=$("$BINARY" --version)
if [[ ! $VERSION_LINE =~ ^ocislim\ ([^ ]+)\ \(commit\ ([^ ]+)\)$ ]]; then
    echo "make-ocislim-image: unexpected --version output: $VERSION_LINE" >&2
    exit 1
fi
VERSION=${BASH_REMATCH[1]}
COMMIT=${BASH_REMATCH[2]}
ARCHIVE="$OUTDIR/ocislim-$VERSION.tar"
EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo "$BASE_EPOCH")}

SCRIPT_SUM=$(sha256sum "$SCRIPT_PATH" | cut -d' ' -f1)
BASE_STAMP="$SCRIPT_SUM"
FINAL_STAMP="$SCRIPT_SUM $(sha256sum "$BINARY" | cut -d' ' -f1) $EPOCH"
has_stamp() { [[ -f "$1/$STAMP_NAME" ]] && [[ "$(cat "$1/$STAMP_NAME")" == "$2" ]]; }

if has_stamp "$FINAL" "$FINAL_STAMP" && [[ -f "$ARCHIVE" ]]; then
    echo "image oci:$FINAL:$VERSION and docker-archive:$ARCHIVE:ocislim:$VERSION are up to date"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "make-ocislim-image: must run as root (mmdebstrap --mode=root, umoci unpack)" >&2
    exit 1
fi
for tool in mmdebstrap umoci skopeo oci-image-tool jq strip; do
    command -v "$tool" >/dev/null || { echo "make-ocislim-image: missing $tool (run scripts/setup.sh)" >&2; exit 1; }
done

mkdir -p "$OUTDIR"
exec 9>"$OUTDIR/.lock"
flock 9
WORK=$(mktemp -d "$OUTDIR/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
START=$SECONDS

# ---------------------------------------------------------------------------------------
# The base: layer 1 and the config. umoci repack builds on the manifest the bundle was unpacked from, so the config
# is written before the unpack.
if ! has_stamp "$BASE" "$BASE_STAMP"; then
    BASE_CREATED=$(iso_date "$BASE_EPOCH")
    layout="$WORK/base"
    bundle="$WORK/bundle"
    rootfs="$bundle/rootfs"
    log "base: init layout"
    umoci init --layout "$layout"
    umoci new --image "$layout:$BASE_TAG"
    umoci config --image "$layout:$BASE_TAG" --no-history \
        --created "$BASE_CREATED" --author "ocislim scripts/make-ocislim-image.sh" \
        --architecture amd64 --os linux \
        --config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --config.env "LANG=C.UTF-8" \
        --config.user "$USER_ID:$USER_ID" \
        --config.workingdir /work \
        --config.entrypoint ocislim \
        --config.cmd --help
    umoci unpack --image "$layout:$BASE_TAG" "$bundle" >/dev/null

    log "base: mmdebstrap --variant=extract bookworm $RUNTIME_PACKAGES"
    # extract: the packages' files only, no maintainer scripts (none is needed: the dynamic loader searches the
    # multiarch library directories without an ld.so.cache).
    SOURCE_DATE_EPOCH=$BASE_EPOCH mmdebstrap --mode=root --variant=extract --quiet \
        --include="$RUNTIME_PACKAGES" \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*' \
        bookworm "$rootfs"
    # Out: the device nodes mmdebstrap made (runtimes mount /dev; rootless unpackers cannot create them), apt's
    # configuration (there is no apt), the host's resolv.conf and hostname, which mmdebstrap copies in.
    find "$rootfs/dev" -mindepth 1 -delete
    rm -rf "$rootfs/etc/apt" "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
    # The users, written directly (there is no useradd; it would record today's date in /etc/shadow anyway).
    printf '%s\n' "root:x:0:0:root:/root:/sbin/nologin" \
        "ocislim:x:$USER_ID:$USER_ID:ocislim:/home/ocislim:/sbin/nologin" > "$rootfs/etc/passwd"
    printf '%s\n' "root:x:0:" "ocislim:x:$USER_ID:" > "$rootfs/etc/group"
    install -d -m 0755 "$rootfs/proc" "$rootfs/sys"
    install -d -m 0700 "$rootfs/root"
    install -d -m 1777 "$rootfs/tmp"
    install -d -m 0755 "$rootfs/usr/local/bin"
    install -d -o "$USER_ID" -g "$USER_ID" -m 0755 "$rootfs/home/ocislim" "$rootfs/work"
    clamp_mtimes "$rootfs" "$BASE_EPOCH"
    log "base: repack"
    umoci repack --image "$layout:$BASE_TAG" \
        --history.created "$BASE_CREATED" \
        --history.created_by "mmdebstrap --variant=extract bookworm $RUNTIME_PACKAGES; user ocislim ($USER_ID)" \
        "$bundle"
    umoci gc --layout "$layout"
    rm -rf "$bundle"
    printf '%s\n' "$BASE_STAMP" > "$layout/$STAMP_NAME"
    rm -rf "$BASE"
    mv -T "$layout" "$BASE"
    log "base: built in $((SECONDS - START)) s"
fi

# ---------------------------------------------------------------------------------------
# Layer 2: the binary, stripped; then the labels that name this build. Not with `umoci insert`: bookworm's umoci
# 0.4.7 does not close the tar it writes, so the layer lacks the padding and end blocks (umoci issue 436) and GNU
# tar, Python's tarfile and ocislim refuse it. Unpack, copy, repack writes the one new file as a proper layer.
CREATED=$(iso_date "$EPOCH")
layout="$WORK/layout"
bundle="$WORK/bundle"
cp -a "$BASE" "$layout"
rm -f "$layout/$STAMP_NAME"
umoci unpack --image "$layout:$BASE_TAG" "$bundle" >/dev/null
strip -o "$bundle/rootfs/usr/local/bin/ocislim" "$BINARY"
chmod 0755 "$bundle/rootfs/usr/local/bin/ocislim"
# The file and the directory it changed (/usr/local/bin, whose mtime umoci records in the layer) get the epoch.
clamp_mtimes "$bundle/rootfs" "$EPOCH"
log "layer 2: /usr/local/bin/ocislim ($VERSION_LINE, $(stat -c %s "$bundle/rootfs/usr/local/bin/ocislim") bytes stripped)"
umoci repack --image "$layout:$BASE_TAG" --refresh-bundle \
    --history.created "$CREATED" --history.created_by "install -m 0755 ocislim /usr/local/bin/ocislim ($VERSION_LINE)" \
    "$bundle"
rm -rf "$bundle"
umoci tag --image "$layout:$BASE_TAG" "$VERSION"
umoci rm --image "$layout:$BASE_TAG"
umoci config --image "$layout:$VERSION" --no-history --created "$CREATED" \
    --config.label "org.opencontainers.image.title=ocislim" \
    --config.label "org.opencontainers.image.description=Make container images slimmer by minimizing the Python inside" \
    --config.label "org.opencontainers.image.version=$VERSION" \
    --config.label "org.opencontainers.image.revision=$COMMIT" \
    --config.label "org.opencontainers.image.created=$CREATED"
umoci gc --layout "$layout"

# ---------------------------------------------------------------------------------------
# Slim it with ocislim itself. There is no Python in it, so ocislim leaves it as it is and says so.
log "ocislim rewrite --strategy drop-bytecode"
"$BINARY" rewrite --strategy drop-bytecode \
    "oci:$layout:$VERSION" "oci:$WORK/slim:$VERSION" 2>&1 | sed 's/^/    /' >&2
# The docker-archive, written by ocislim itself (the layout's layers stay as they are: nothing to do).
"$BINARY" rewrite -q --strategy drop-bytecode \
    "oci:$WORK/slim:$VERSION" "docker-archive:$WORK/ocislim.tar:ocislim:$VERSION" > /dev/null

log "verify"
oci-image-tool validate --type image --ref name="$VERSION" "$WORK/slim" >&2
skopeo inspect --config "oci:$WORK/slim:$VERSION" | jq -c '.config | {User, Entrypoint, Cmd, WorkingDir}' >&2

printf '%s\n' "$FINAL_STAMP" > "$WORK/slim/$STAMP_NAME"
rm -f "$OUTDIR"/ocislim-*.tar
mv "$WORK/ocislim.tar" "$ARCHIVE"
rm -rf "$FINAL"
mv -T "$WORK/slim" "$FINAL"

manifest=$(skopeo inspect --raw "oci:$FINAL:$VERSION")
echo "image oci:$FINAL:$VERSION built in $((SECONDS - START)) s"
echo "manifest $(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1 | sed 's/^/sha256:/')"
printf '%s' "$manifest" | jq -r '.layers | to_entries[] | "layer \(.key + 1)  \(.value.digest) \(.value.size) bytes"'
echo "docker-archive:$ARCHIVE:ocislim:$VERSION $(stat -c %s "$ARCHIVE") bytes"
