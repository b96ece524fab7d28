# shellcheck shell=bash
# archive-loaders.sh — check an image archive with the REAL loaders. Source it:
#
#   source scripts/archive-loaders.sh
#   docker_load_and_run ARCHIVE [RUN_OUT]   load into a private dockerd (Debian's docker.io 20.10);
#                                           prints one line per loaded image: "ID<TAB>NAME" (NAME is
#                                           "-" for an untagged image). With RUN_OUT: runs every loaded
#                                           image (`docker run --rm --network none`, or the chroot
#                                           fallback below) and writes "NAME<TAB>OUTPUT-LINE" lines there
#   ctr_import ARCHIVE                      `ctr images import` (and unpack, native snapshotter) into a
#                                           private containerd; prints "NAME<TAB>TARGET-DIGEST<TAB>STATUS
#                                           <TAB>UNPACKED" per image, from `ctr images check` (STATUS
#                                           complete/incomplete, UNPACKED true/false, default platform)
#   podman_load ARCHIVE                     `podman load` into private vfs storage; prints "ID<TAB>NAME"
#   skopeo_inspect REF                      `skopeo inspect` of REF (any transport); prints the manifest
#                                           digest, the config digest and the diff_ids, one per line
#   skopeo_copy_check REF                   `skopeo copy REF oci:TMP:x`, which checks every digest
#   unpack_and_probe REF OUTDIR             skopeo copy REF → oci:, umoci unpack, then in a chroot:
#                                           scripts/python-probe.py with both interpreters and the image's
#                                           Cmd; writes OUTDIR/{probe-system.txt,probe-venv.txt,cmd.txt,env}
#                                           (AL_PROBE=0: the Cmd only)
#
# Lower-level pieces, for a caller that needs a daemon across several commands (e.g. a
# `docker save | … | docker load` pipe): al_workdir, al_start_dockerd DIR, al_docker DIR ARGS…,
# al_start_containerd DIR, al_ctr DIR ARGS…, al_stop DIR. The caller must run al_stop DIR itself
# (from its own trap); the functions above do it for themselves.
#
# Every daemon listens only on unix sockets under its own temp dir (nothing on /run or /var/lib),
# is stopped by the PID it was started with (TERM, then KILL after a bounded wait), on success and
# on error (each public function runs in a subshell with an EXIT trap). Mounts a daemon left under
# its dir are unmounted before the dir is deleted. Startup waits for the socket with a bounded
# timeout (AL_START_TIMEOUT, default 60 s) and prints the daemon's log tail when it fails.
#
# Knobs: AL_TMPDIR (where the temp dirs go; default $TMPDIR or /tmp), AL_DOCKER (the docker client;
# default /usr/bin/docker, Debian's 20.10 client, since a newer client may shadow it on PATH),
# AL_DOCKER_RUN=0 to skip `docker run` and use the chroot fallback straight away.
# Needs root (dockerd, containerd, umoci unpack, chroot).

AL_SCRIPTS=${AL_SCRIPTS:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
AL_DOCKER=${AL_DOCKER:-/usr/bin/docker}
AL_START_TIMEOUT=${AL_START_TIMEOUT:-60}

al_log() { printf '[loaders %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# al_workdir [PREFIX] — a fresh temp dir (short path: unix socket paths must stay under 108 bytes),
# with a tmpfs mounted on it unless AL_TMPFS=0. vfs storage copies the whole rootfs for every layer
# and container; on this machine's disk (ext4 mounted with discard) deleting those copies afterwards
# takes minutes, on a tmpfs it takes nothing (the data is RAM while it exists: ~2.5 GB at most for
# the test image). al_stop unmounts it.
al_workdir() {
    local base=${AL_TMPDIR:-${TMPDIR:-/tmp}} dir
    mkdir -p "$base"
    dir=$(mktemp -d "$base/${1:-ocislim-al}.XXXXXX")
    if [[ ${AL_TMPFS:-1} != 0 ]]; then
        mount -t tmpfs -o "size=${AL_TMPFS_SIZE:-12g},mode=0700" ocislim-al "$dir"
    fi
    echo "$dir"
}

# al_wait_ready PID LOG CHECK-COMMAND… — poll CHECK until it succeeds, the daemon dies or the
# timeout passes; on failure print the daemon's log tail and return 1.
al_wait_ready() {
    local pid=$1 logfile=$2
    shift 2
    local deadline=$((SECONDS + AL_START_TIMEOUT))
    while ! "$@" >/dev/null 2>&1; do
        if ! al_alive "$pid"; then
            echo "archive-loaders: daemon $pid exited during startup; log $logfile:" >&2
            tail -n 40 "$logfile" | sed 's/^/    | /' >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "archive-loaders: daemon $pid not ready after ${AL_START_TIMEOUT}s; log $logfile:" >&2
            tail -n 40 "$logfile" | sed 's/^/    | /' >&2
            return 1
        fi
        sleep 0.2
    done
}

# al_start_containerd DIR — containerd with root, state, sockets and plugin dirs under DIR/containerd.
al_start_containerd() {
    local d=$1/containerd
    mkdir -p "$d"
    cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
# CRI is not needed and would look for CNI config on the host.
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/c.sock"
[ttrpc]
  address = "$d/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
    containerd --config "$d/config.toml" </dev/null >"$d/log" 2>&1 &
    echo $! >"$d/pid"
    al_wait_ready "$(cat "$d/pid")" "$d/log" ctr -a "$d/c.sock" version
}
al_ctr() { local dir=$1; shift; ctr -a "$dir/containerd/c.sock" -n ocislim "$@"; }

# al_start_dockerd DIR — containerd (as above) plus dockerd with vfs storage, no iptables, no bridge,
# data-root, exec-root, pidfile and API socket under DIR/docker.
al_start_dockerd() {
    local dir=$1 d=$1/docker
    al_start_containerd "$dir" || return 1
    mkdir -p "$d"
    dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
        --data-root "$d/data" --exec-root "$d/exec" -H "unix://$d/docker.sock" \
        --pidfile "$d/docker.pid" --containerd "$dir/containerd/c.sock" \
        </dev/null >"$d/log" 2>&1 &
    echo $! >"$d/pid"
    al_wait_ready "$(cat "$d/pid")" "$d/log" "$AL_DOCKER" -H "unix://$d/docker.sock" version
}
al_docker() { local dir=$1; shift; "$AL_DOCKER" -H "unix://$dir/docker/docker.sock" "$@"; }

# al_alive PID — the process exists and is not a zombie (a daemon that exited but was not yet
# reaped by its parent still answers kill -0).
al_alive() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [[ -n "$state" && $state != Z* ]]
}

# al_stop DIR — stop the daemons started under DIR (dockerd first), by PID; unmount what they left
# mounted under DIR; delete DIR.
al_stop() {
    local dir=$1 name pid i
    [[ -n "$dir" && -d "$dir" ]] || return 0
    for name in docker containerd; do
        [[ -f "$dir/$name/pid" ]] || continue
        pid=$(cat "$dir/$name/pid")
        if al_alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for ((i = 0; i < 150; i++)); do
                al_alive "$pid" || break
                sleep 0.1
            done
            if al_alive "$pid"; then
                al_log "$name ($pid) ignored TERM for 15 s; killing it"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        wait "$pid" 2>/dev/null || true
        rm -f "$dir/$name/pid"
    done
    # Deepest mount points first, the tmpfs on DIR itself last. /proc/self/mounts escapes blanks
    # as \040; our paths have none.
    local m
    while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || al_log "cannot unmount $m"
    done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
    rm -rf "$dir"
}

# The names `docker load` reported, one per line: "name:tag" or "sha256:…" for untagged images.
al_loaded_refs() {
    sed -n -e 's/^Loaded image: //p' -e 's/^Loaded image ID: //p' -e 's/^Loaded image(s): //p' | tr ',' '\n' |
        sed 's/^ *//; /^$/d'
}

# The image's Entrypoint + Cmd and Env from skopeo (REF is any skopeo reference).
al_image_cmd() { skopeo inspect --config "$1" | jq -r '(.config.Entrypoint // []) + (.config.Cmd // []) | .[]'; }
al_image_env() { skopeo inspect --config "$1" | jq -r '.config.Env // [] | .[]'; }

# al_unpack REF DIR — skopeo copy REF to oci:DIR/layout:img and umoci unpack it to DIR/bundle.
al_unpack() {
    local ref=$1 d=$2
    rm -rf "$d/layout" "$d/bundle"
    skopeo copy -q "$ref" "oci:$d/layout:img" >&2
    umoci unpack --image "$d/layout:img" "$d/bundle" >&2
    al_image_env "oci:$d/layout:img" >"$d/env"
}

# al_run_cmd_chroot LAYOUT-REF ROOTFS ENV_FILE — the image Cmd in a chroot (scripts/chroot-python.sh).
al_run_cmd_chroot() {
    local -a cmd
    mapfile -t cmd < <(al_image_cmd "$1")
    [[ ${#cmd[@]} -gt 0 ]] || { echo "archive-loaders: image has no Entrypoint/Cmd" >&2; return 1; }
    ENV_FILE=$3 "$AL_SCRIPTS/chroot-python.sh" "$2" "${cmd[@]}"
}

# ---------------------------------------------------------------------------------------------
# Public checks. Each runs in a subshell with its own daemons and an EXIT trap that stops them.

docker_load_and_run() (
    set -euo pipefail
    archive=$1 run_out=${2:-}
    W=$(al_workdir ocislim-docker)
    trap 'al_stop "$W"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    al_start_dockerd "$W"
    al_docker "$W" load -i "$archive" >"$W/load.txt"
    cat "$W/load.txt" >&2
    mapfile -t refs < <(al_loaded_refs <"$W/load.txt")
    [[ ${#refs[@]} -gt 0 ]] || { echo "docker load reported no image" >&2; exit 1; }
    for ref in "${refs[@]}"; do
        id=$(al_docker "$W" image inspect --format '{{.Id}}' "$ref")
        name=$ref
        [[ $ref == sha256:* ]] && name=-
        printf '%s\t%s\n' "$id" "$name"
    done
    [[ -n "$run_out" ]] || exit 0
    : >"$run_out"
    for ref in "${refs[@]}"; do
        out="$W/run.txt"
        if [[ ${AL_DOCKER_RUN:-1} == 1 ]] && al_docker "$W" run --rm --network none "$ref" >"$out" 2>"$W/run.err"; then
            al_log "docker run $ref: ok"
        else
            # dockerd could not run it (or AL_DOCKER_RUN=0): the image as dockerd stored it, saved
            # back out, unpacked with umoci and run in a chroot.
            [[ -s "$W/run.err" ]] && al_log "docker run $ref failed ($(tail -n 1 "$W/run.err")); chroot fallback"
            rm -rf "$W/fallback" && mkdir -p "$W/fallback"
            al_docker "$W" save -o "$W/fallback/saved.tar" "$ref"
            al_unpack "docker-archive:$W/fallback/saved.tar" "$W/fallback"
            al_run_cmd_chroot "oci:$W/fallback/layout:img" "$W/fallback/bundle/rootfs" "$W/fallback/env" >"$out"
            rm -rf "$W/fallback"
        fi
        sed "s|^|$ref\t|" "$out" >>"$run_out"
    done
)

ctr_import() (
    set -euo pipefail
    archive=$1
    W=$(al_workdir ocislim-ctr)
    trap 'al_stop "$W"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    al_start_containerd "$W"
    # The native snapshotter copies instead of mounting overlays: nothing stays mounted, and the
    # unpack still applies every layer and checks it against the config's diff_ids.
    al_ctr "$W" images import --snapshotter native "$archive" >&2
    al_ctr "$W" images ls -q >"$W/names.txt"
    [[ -s "$W/names.txt" ]] || { echo "ctr images import created no image" >&2; exit 1; }
    al_ctr "$W" images check --snapshotter native >"$W/check.txt"
    cat "$W/check.txt" >&2
    while read -r name; do
        target=$(al_ctr "$W" images ls | awk -v n="$name" '$1 == n { print $3 }')
        # REF TYPE DIGEST STATUS (N/M) SIZE UNPACKED: the status word and the last column.
        status=$(awk -v n="$name" '$1 == n { print $4 "\t" $NF }' "$W/check.txt")
        printf '%s\t%s\t%s\n' "$name" "$target" "$status"
    done <"$W/names.txt"
)

podman_load() (
    set -euo pipefail
    archive=$1
    W=$(al_workdir ocislim-podman)
    trap 'al_stop "$W"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    pm() {
        podman --root "$W/root" --runroot "$W/run" --tmpdir "$W/tmp" --storage-driver vfs \
            --cgroup-manager cgroupfs --events-backend file "$@"
    }
    pm load -i "$archive" >"$W/load.txt"
    cat "$W/load.txt" >&2
    pm images --noheading --no-trunc --format '{{.ID}}\t{{.Repository}}:{{.Tag}}' | sed 's/\t<none>:<none>$/\t-/'
    # podman keeps nothing running; a storage lock or a leftover mount would show here.
    pm images -q >/dev/null
)

skopeo_inspect() {
    local ref=$1
    (
        set -euo pipefail
        skopeo inspect "$ref" | jq -r '"digest\t\(.Digest)"'
        skopeo inspect --config "$ref" | jq -r '"config-created\t\(.created)", (.rootfs.diff_ids[] | "diff_id\t\(.)")'
        skopeo inspect --raw "$ref" | jq -r '"manifest-media-type\t\(.mediaType // "-")",
            (.layers // [] | .[] | "layer\t\(.mediaType)\t\(.digest)\t\(.size)")'
    )
}

skopeo_copy_check() (
    set -euo pipefail
    W=$(al_workdir ocislim-skopeo)
    trap 'al_stop "$W"' EXIT
    skopeo copy -q "$1" "oci:$W/layout:img"
    skopeo inspect --raw "oci:$W/layout:img" | sha256sum | sed 's/ .*//; s/^/copied-manifest\tsha256:/'
)

unpack_and_probe() (
    set -euo pipefail
    ref=$1 out=$2
    W=$(al_workdir ocislim-probe)
    trap 'al_stop "$W"' EXIT
    mkdir -p "$out"
    al_unpack "$ref" "$W"
    root="$W/bundle/rootfs"
    cp "$W/env" "$out/env"
    if [[ ${AL_PROBE:-1} == 0 ]]; then
        al_run_cmd_chroot "oci:$W/layout:img" "$root" "$W/env" >"$out/cmd.txt"
        echo "cmd: $(wc -l <"$out/cmd.txt") line(s) (AL_PROBE=0: no python-probe)"
        exit 0
    fi
    ENV_FILE="$W/env" "$AL_SCRIPTS/chroot-python.sh" "$root" /usr/bin/python3 - <"$AL_SCRIPTS/python-probe.py" \
        >"$out/probe-system.txt"
    ENV_FILE="$W/env" "$AL_SCRIPTS/chroot-python.sh" "$root" /opt/venv/bin/python - <"$AL_SCRIPTS/python-probe.py" \
        >"$out/probe-venv.txt"
    al_run_cmd_chroot "oci:$W/layout:img" "$root" "$W/env" >"$out/cmd.txt"
    echo "probe-system: $(grep -c $'\tok$' "$out/probe-system.txt") ok," \
        "probe-venv: $(grep -c $'\tok$' "$out/probe-venv.txt") ok, cmd: $(wc -l <"$out/cmd.txt") line(s)"
)
