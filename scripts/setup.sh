#!/usr/bin/env bash
# setup.sh — install every Debian package that building and testing ocislim needs.
#
# Idempotent: packages already installed are left alone, and when nothing is
# missing the script is a quick no-op (no apt-get update, no network).
# Runs as root; if not root, it uses sudo when available.
set -euo pipefail

# Build: C libraries found through pkg-config by Package.swift's system library targets.
# Tests: OCI tools used as independent interop checkers, mmdebstrap to build the
# real test image, compressors, GNU time for peak RSS, python3 for the scripts; gcc builds the fault tests'
# LD_PRELOAD shim, util-linux gives them mount and findmnt.
# Archive loaders for issue 9's fixtures and e2e (scripts/make-archive-fixtures.sh, archive-loaders.sh,
# e2e-archives.sh): Debian's dockerd 20.10 (vfs storage, legacy `docker save`), containerd 1.6 and ctr,
# podman (root, vfs: no fuse-overlayfs or uidmap needed), the registry, bubblewrap (verify's sandbox).
# Shipping (make install, make image, e2e-ship.sh): binutils strips the binary and reads its needed libraries,
# man-db renders the man page. python3-yaml checks deploy/'s manifests (scripts/check-deploy.py).
PACKAGES=(
    libarchive-dev libssl-dev zlib1g-dev libzstd-dev libdeflate-dev libisal-dev pkg-config
    umoci skopeo oci-image-tool mmdebstrap
    pigz zstd libarchive-tools time python3 ca-certificates jq
    gcc libc6-dev util-linux
    docker.io containerd podman docker-registry bubblewrap
    binutils man-db
    python3-yaml
)

# A package counts as present only when dpkg says "install ok installed".
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "setup: all ${#PACKAGES[@]} packages present"
    exit 0
fi

# Escalate only when needed and possible.
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "setup: not root and no sudo; cannot install: ${missing[*]}" >&2
        exit 1
    fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
