#!/usr/bin/env bash
# chroot-python.sh ROOTFS COMMAND [ARGS...] — run COMMAND inside an unpacked image rootfs.
#
# The command runs under chroot(8) (working directory "/") with a clean environment:
# only PATH, HOME=/root and the KEY=VALUE lines of the file named by $ENV_FILE, if set
# (e2e.sh writes the image config's Env there; its PATH overrides the default one).
# Blank lines and lines starting with '#' in ENV_FILE are ignored.
# Nothing is mounted: CPython starts and imports without /proc, /sys or /dev.
# Standard input, output and exit status pass through. Needs root (chroot).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: ${0##*/} ROOTFS COMMAND [ARGS...]" >&2
    exit 2
fi
ROOTFS=$1
shift
if [[ ! -d "$ROOTFS" ]]; then
    echo "${0##*/}: no such rootfs directory: $ROOTFS" >&2
    exit 2
fi

vars=(
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    HOME=/root
)
if [[ -n "${ENV_FILE:-}" ]]; then
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        if [[ "$line" != *=* ]]; then
            echo "${0##*/}: bad line in $ENV_FILE (want KEY=VALUE): $line" >&2
            exit 2
        fi
        vars+=("$line")    # later entries win: env(1) applies them in order
    done < "$ENV_FILE"
fi

# Resolve chroot on the host before the environment (and PATH) is replaced; COMMAND
# itself is then looked up by chroot inside ROOTFS with the new PATH.
CHROOT=$(command -v chroot)
exec env -i "${vars[@]}" "$CHROOT" "$ROOTFS" "$@"
