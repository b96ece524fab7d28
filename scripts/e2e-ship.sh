#!/usr/bin/env bash
# e2e-ship.sh — end-to-end checks of how ocislim ships (issue 13): `make install` and `make image`.
#
#   bash scripts/e2e-ship.sh        (as root; runs `make install DESTDIR=<temp>` and `make image` itself)
#
# Each check prints one PASS/FAIL line:
#   install/files                   make install DESTDIR=… PREFIX=/usr/local writes the binary, the man page and the
#                                   bash, zsh and fish completions at their standard places (never the real /usr/local)
#   install/runs-without-toolchain  the installed binary runs --version with nothing but /usr/bin:/bin on PATH and an
#                                   empty LD_LIBRARY_PATH
#   install/version-names-head      --version prints "ocislim VERSION (commit C)", C = git rev-parse --short=12 HEAD
#                                   (with -dirty when tracked files differ from it)
#   install/no-swift-runtime        ldd lists no Swift runtime or Foundation library and nothing from /opt/swift; the
#                                   libraries it needs (readelf NEEDED) are only the C libraries it links
#   install/man-renders             man -l renders the page without a warning, with both subcommands in it
#   install/bash-completion         the bash script sources without error and completes `ocislim re` to rewrite
#   install/zsh-fish-completions    the zsh and fish scripts name both subcommands (parsed by zsh -n / fish -n when
#                                   those shells are installed)
#   install/uninstall               make uninstall removes every file make install wrote
#   image/layout                    oci-image-tool validates .cache/image/ocislim; its config runs ocislim as user
#                                   65532 and its labels name this version and commit
#   image/slim-nothing-to-do        ocislim rewrite --strategy drop-bytecode of the image says there is nothing to do
#                                   and writes the same manifest
#   image/reproducible              the image rebuilt from the cached base in another directory has the same manifest
#   image/chroot-version            in the unpacked image, as user 65532 under chroot, ocislim --version names HEAD
#   image/chroot-rewrite            there, as user 65532, ocislim rewrites a small Python image (made here with umoci)
#                                   in /tmp with --strategy drop-bytecode: a valid layout whose new layer has the
#                                   sources and no pyc
#   image/docker-archive            skopeo inspects docker-archive:.cache/image/ocislim-VERSION.tar, tag ocislim:VERSION
#   image/podman-load               podman (vfs storage under a temp dir) loads the archive as ocislim:VERSION
# (`podman run` is not tried: in this sandbox runc may not set the rlimits podman asks for.)
# The last line is exactly `e2e-ship: N passed, M failed`; the exit status is non-zero if M > 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PASSED=0
FAILED=0
IMAGE_DIR="$ROOT/.cache/image"
BINARY="$ROOT/.build-static/release/ocislim"

log() { printf '[e2e-ship %(%H:%M:%S)T] %s\n' -1 "$*"; }
# run_check NAME LOG COMMAND...: scripts/lib/checks.sh.
source "$ROOT/scripts/lib/checks.sh"
finish() {
    echo "e2e-ship: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

if [[ $(id -u) -ne 0 ]]; then
    echo "e2e-ship: must run as root (make image: mmdebstrap --mode=root; umoci unpack; chroot)" >&2
    FAILED=1; finish; exit 1
fi
mkdir -p "$ROOT/.cache"
WORK=$(mktemp -d "$ROOT/.cache/e2e-ship.XXXXXX")
# Kept when a check fails: the FAIL lines name logs in it.
trap '[[ $FAILED -eq 0 ]] && rm -rf "$WORK"' EXIT
DEST="$WORK/dest"
BIN="$DEST/usr/local/bin/ocislim"
INSTALLED=(
    usr/local/bin/ocislim
    usr/local/share/man/man1/ocislim.1
    usr/local/share/bash-completion/completions/ocislim
    usr/local/share/zsh/site-functions/_ocislim
    usr/local/share/fish/vendor_completions.d/ocislim.fish
)

# The commit --version must name, computed as Plugins/BuildInfo does.
HEAD=$(git rev-parse --short=12 HEAD)
if [[ -n $(git status --porcelain --untracked-files=no) ]]; then HEAD="$HEAD-dirty"; fi

# ---------------------------------------------------------------------------------------
log "make install DESTDIR=$DEST PREFIX=/usr/local"
if ! make install DESTDIR="$DEST" PREFIX=/usr/local > "$WORK/install.log" 2>&1; then
    echo "FAIL install/make-install (log $WORK/install.log)"
    tail -n 15 "$WORK/install.log" | sed 's/^/    | /'
    FAILED=$((FAILED + 1)); finish; exit 1
fi
VERSION_LINE=$("$BIN" --version)
VERSION=$(awk '{ print $2 }' <<< "$VERSION_LINE")

check_files() {
    for file in "${INSTALLED[@]}"; do
        [[ -s "$DEST/$file" ]] || { echo "missing or empty: $file"; exit 1; }
        ls -l "$DEST/$file"
    done
    [[ $(stat -c %a "$BIN") == 755 ]]
    # Nothing else: the man page and completions are all it installs.
    [[ $(find "$DEST" -type f | wc -l) -eq ${#INSTALLED[@]} ]]
}
run_check install/files "$WORK/files.log" check_files

check_runs_without_toolchain() {
    env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= "$BIN" --version
    env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= "$BIN" rewrite --help > "$WORK/rewrite-help.txt"
    grep -q -- '--strategy' "$WORK/rewrite-help.txt"
}
run_check install/runs-without-toolchain "$WORK/no-toolchain.log" check_runs_without_toolchain

check_version() {
    echo "got:  $VERSION_LINE"
    echo "want: commit $HEAD"
    [[ $VERSION_LINE =~ ^ocislim\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ $HEAD\)$ ]]
}
run_check install/version-names-head "$WORK/version.log" check_version

check_no_swift_runtime() {
    ldd "$BIN"
    if ldd "$BIN" | grep -Ei 'swift|foundation|libdispatch|BlocksRuntime|not found'; then exit 1; fi
    readelf -d "$BIN" | grep -E 'NEEDED|RPATH|RUNPATH'
    if readelf -d "$BIN" | grep -E 'RPATH|RUNPATH' | grep -i swift; then exit 1; fi
    local needed unexpected
    needed=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    local linked='lib(archive|crypto|z|zstd|deflate|isal|stdc\+\+|gcc_s|m|c)|ld-linux-x86-64'
    unexpected=$(grep -Ev "^($linked)\.so\.[0-9.]+\$" <<< "$needed" || true)
    [[ -z $unexpected ]] || { echo "unexpected libraries: $unexpected"; exit 1; }
}
run_check install/no-swift-runtime "$WORK/ldd.log" check_no_swift_runtime

check_man() {
    local page="$DEST/usr/local/share/man/man1/ocislim.1"
    MANWIDTH=100 man --warnings -l "$page" > "$WORK/man.txt" 2> "$WORK/man.err"
    cat "$WORK/man.err"
    [[ ! -s "$WORK/man.err" ]]
    head -n 12 "$WORK/man.txt"
    grep -q '^SYNOPSIS' "$WORK/man.txt"
    grep -Eq '^ +rewrite$' "$WORK/man.txt"
    grep -Eq '^ +audit( |$)' "$WORK/man.txt"
}
run_check install/man-renders "$WORK/man.log" check_man

check_bash_completion() {
    # shellcheck disable=SC2016  # expanded by the inner bash
    bash --norc --noprofile -c '
        set -e
        source "$1"
        complete -p ocislim
        COMP_WORDS=(ocislim re); COMP_CWORD=1; COMP_LINE="ocislim re"; COMP_POINT=${#COMP_LINE}
        _ocislim
        printf "%s\n" "${COMPREPLY[@]}"' bash "$DEST/usr/local/share/bash-completion/completions/ocislim" \
        > "$WORK/completion.txt"
    cat "$WORK/completion.txt"
    grep -qx 'rewrite' "$WORK/completion.txt"
}
run_check install/bash-completion "$WORK/bash-completion.log" check_bash_completion

check_zsh_fish() {
    local zsh_file="$DEST/usr/local/share/zsh/site-functions/_ocislim"
    local fish_file="$DEST/usr/local/share/fish/vendor_completions.d/ocislim.fish"
    head -n 1 "$zsh_file" | grep -qx '#compdef ocislim'
    local file
    for file in "$zsh_file" "$fish_file"; do
        grep -q "rewrite" "$file"
        grep -q "audit" "$file"
    done
    if command -v zsh >/dev/null; then zsh -n "$zsh_file"; else echo "zsh not installed: not parsed"; fi
    if command -v fish >/dev/null; then fish -n "$fish_file"; else echo "fish not installed: not parsed"; fi
}
run_check install/zsh-fish-completions "$WORK/zsh-fish.log" check_zsh_fish

check_uninstall() {
    make uninstall DESTDIR="$DEST" PREFIX=/usr/local
    local left
    left=$(find "$DEST" -type f)
    [[ -z $left ]] || { echo "left behind: $left"; exit 1; }
}
run_check install/uninstall "$WORK/uninstall.log" check_uninstall

# ---------------------------------------------------------------------------------------
log "make image"
if ! make image > "$WORK/image.log" 2>&1; then
    echo "FAIL image/make-image (log $WORK/image.log)"
    tail -n 15 "$WORK/image.log" | sed 's/^/    | /'
    FAILED=$((FAILED + 1)); finish; exit 1
fi
LAYOUT="$IMAGE_DIR/ocislim"
ARCHIVE="$IMAGE_DIR/ocislim-$VERSION.tar"
manifest_digest() { skopeo inspect --raw "$1" | sha256sum | cut -d' ' -f1; }

check_layout() {
    oci-image-tool validate --type image --ref name="$VERSION" "$LAYOUT"
    skopeo inspect --config "oci:$LAYOUT:$VERSION" > "$WORK/config.json"
    jq -c '.config' "$WORK/config.json"
    jq -e --arg v "$VERSION" --arg c "$HEAD" '.config.User == "65532:65532"
        and .config.Entrypoint == ["ocislim"]
        and .config.Labels["org.opencontainers.image.version"] == $v
        and .config.Labels["org.opencontainers.image.revision"] == $c' "$WORK/config.json"
}
run_check image/layout "$WORK/layout.log" check_layout

check_slim() {
    "$BINARY" rewrite --strategy drop-bytecode "oci:$LAYOUT:$VERSION" "oci:$WORK/slim:$VERSION" > "$WORK/slim.out" 2>&1
    cat "$WORK/slim.out"
    grep -q 'no Python interpreter found; nothing to do' "$WORK/slim.out"
    [[ $(manifest_digest "oci:$WORK/slim:$VERSION") == $(manifest_digest "oci:$LAYOUT:$VERSION") ]]
}
run_check image/slim-nothing-to-do "$WORK/slim.log" check_slim

check_reproducible() {
    mkdir "$WORK/rebuild"
    cp -a "$IMAGE_DIR/base" "$WORK/rebuild/base"
    bash scripts/make-ocislim-image.sh "$BINARY" "$WORK/rebuild"
    local want got
    want=$(manifest_digest "oci:$LAYOUT:$VERSION")
    got=$(manifest_digest "oci:$WORK/rebuild/ocislim:$VERSION")
    echo "manifest: $want (make image), $got (rebuilt)"
    [[ $want == "$got" ]]
}
run_check image/reproducible "$WORK/reproducible.log" check_reproducible

# The image unpacked once; the chroot checks run in it as the image's user, with a plain environment and /proc,
# which every container has and the Swift runtime needs: it finds argv on the initial stack and checks the stack's
# bounds in /proc/self/maps (swiftlang/swift PR 71885); without /proc, `ocislim --version` sees no arguments and
# prints the help, or traps (SIGILL). Mounted in a mount and PID namespace of its own, so it goes away with the
# command. The image has no env (no coreutils at all): the
# environment is cleared before the chroot, and chroot finds the command on the image's PATH.
ROOTFS="$WORK/bundle/rootfs"
umoci unpack --image "$LAYOUT:$VERSION" "$WORK/bundle" > "$WORK/unpack.log" 2>&1 || true
in_image() {
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/ocislim TMPDIR=/tmp \
        "$(command -v unshare)" --mount --pid --fork --mount-proc="$ROOTFS/proc" \
        "$(command -v chroot)" --userspec=65532:65532 "$ROOTFS" "$@"
}

check_chroot_version() {
    [[ -x "$ROOTFS/usr/local/bin/ocislim" ]] || { cat "$WORK/unpack.log"; exit 1; }
    [[ ! -e "$ROOTFS/opt/swift" ]]
    local line
    line=$(in_image ocislim --version)
    echo "$line"
    [[ $line =~ ^ocislim\ $VERSION\ \(commit\ $HEAD\)$ ]]
}
run_check image/chroot-version "$WORK/chroot-version.log" check_chroot_version

# A small Python image: the host's json package, byte-compiled, and a stand-in interpreter (ocislim leaves images
# without one alone); drop-bytecode removes the pycs.
make_python_layout() {
    local layout=$1 minor bundle=$WORK/python-bundle
    minor=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    umoci init --layout "$layout"
    umoci new --image "$layout:latest"
    umoci unpack --image "$layout:latest" "$bundle" > /dev/null
    mkdir -p "$bundle/rootfs/usr/bin" "$bundle/rootfs/usr/lib/python$minor"
    printf '#!/bin/sh\nexit 0\n' > "$bundle/rootfs/usr/bin/python$minor"
    chmod 0755 "$bundle/rootfs/usr/bin/python$minor"
    ln -s "python$minor" "$bundle/rootfs/usr/bin/python3"
    cp -r "/usr/lib/python$minor/json" "$bundle/rootfs/usr/lib/python$minor/json"
    rm -rf "$bundle/rootfs/usr/lib/python$minor/json/__pycache__"
    python3 -m compileall -q "$bundle/rootfs/usr/lib/python$minor/json"
    umoci repack --image "$layout:latest" "$bundle"
    rm -rf "$bundle"
}

check_chroot_rewrite() {
    make_python_layout "$ROOTFS/tmp/in"
    chown -R 65532:65532 "$ROOTFS/tmp/in"
    # --min-layer-saving 0: the layer is far smaller than the 64 KiB a layer must save by default.
    in_image ocislim rewrite --strategy drop-bytecode --min-layer-saving 0 --report /tmp/report.json \
        oci:/tmp/in:latest oci:/tmp/out:latest
    jq -e --arg c "$HEAD" '.tool.commit == $c' "$ROOTFS/tmp/report.json"
    oci-image-tool validate --type image --ref name=latest "$ROOTFS/tmp/out"
    local before after
    before=$(skopeo inspect "oci:$ROOTFS/tmp/in:latest" | jq -c '.Layers')
    after=$(skopeo inspect "oci:$ROOTFS/tmp/out:latest" | jq -c '.Layers')
    echo "layers: $before -> $after"
    [[ $before != "$after" ]]
    # The new layer holds the sources and no bytecode.
    local layer
    layer=$(jq -r '.[0]' <<< "$after")
    tar -tzf "$ROOTFS/tmp/out/blobs/sha256/${layer#sha256:}" > "$WORK/new-layer.txt"
    grep -q 'json/decoder\.py$' "$WORK/new-layer.txt"
    if grep '\.pyc$' "$WORK/new-layer.txt"; then exit 1; fi
}
run_check image/chroot-rewrite "$WORK/chroot-rewrite.log" check_chroot_rewrite

check_docker_archive() {
    skopeo inspect "docker-archive:$ARCHIVE" > "$WORK/archive.json"
    jq -c '{Digest, RepoTags, Labels}' "$WORK/archive.json"
    jq -e --arg v "$VERSION" '.Labels["org.opencontainers.image.version"] == $v' "$WORK/archive.json"
    skopeo inspect "docker-archive:$ARCHIVE:ocislim:$VERSION" > /dev/null
}
run_check image/docker-archive "$WORK/docker-archive.log" check_docker_archive

check_podman_load() {
    # podman refuses a runroot path longer than 50 characters (a checkout's .cache can be deeper): a short one in /tmp.
    # Not local: the EXIT trap runs after this function has returned.
    PODMAN_RUN=$(mktemp -d /tmp/ocislim-podman.XXXXXX)
    trap 'rm -rf "$PODMAN_RUN"' EXIT
    local podman=(podman --root "$WORK/podman/root" --runroot "$PODMAN_RUN" --storage-driver vfs
        --cgroup-manager cgroupfs --events-backend file)
    "${podman[@]}" load -i "$ARCHIVE"
    "${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' | tee "$WORK/podman-images.txt"
    grep -Eq "(^|/)ocislim:$VERSION\$" "$WORK/podman-images.txt"
}
if command -v podman >/dev/null; then
    run_check image/podman-load "$WORK/podman.log" check_podman_load
else
    echo "SKIP image/podman-load (podman not installed)"
fi

finish
