#!/usr/bin/env bash
# e2e-archives.sh — end-to-end check of issue 9: `ocislim rewrite` on every `docker save` shape and on an
# OCI archive, each output checked with the REAL loaders (scripts/archive-loaders.sh).
#
#   OCISLIM=path/to/ocislim scripts/e2e-archives.sh          (default: .build-static/release/ocislim)
#   E2E_ARCHIVES_SELFTEST=1 scripts/e2e-archives.sh          check the input fixtures themselves (no ocislim)
#
# Environment knobs:
#   OCISLIM               the binary under test
#   E2E_ARCHIVES_SELFTEST 1: run every loader check on the fixtures instead of rewritten outputs, and the
#                         round trip with `cat` in ocislim's place; validates this harness and the
#                         fixtures before ocislim can read archives. Rewrite and determinism checks are
#                         skipped (not counted).
#   E2E_ARCHIVE_SHAPES    fixtures to run (default: all: shape1-docker-legacy shape2-docker25
#                         shape3-containerd shape3-containerd-sparse shape4-skopeo shape5-crane
#                         shape6-dotslash oci-archive)
#   E2E_IMAGE             the source layout (default .cache/images/python-debian, made by make-test-image.sh)
#   E2E_ARCHIVES          the fixtures (default .cache/images/archives, made by make-archive-fixtures.sh)
#   E2E_ARCHIVES_PROBE    1 (default): python-probe + Cmd in a chroot for every shape; 0: Cmd only; first:
#                         python-probe on the first shape, and on each later shape whose diff_ids differ from the
#                         first's (the same diff_ids are the same filesystem: its probes could only repeat the
#                         first's), Cmd on every shape (`make test`; ARCHIVE_SHAPES=all probes every shape)
#
# For each fixture S (IN = $E2E_ARCHIVES/S.tar), `ocislim rewrite --strategy drop-bytecode IN OUT` with
# OUT = .cache/e2e-archives/S/out.tar (bare paths: the output takes the input's shape), then:
#   S/rewrite          ocislim exits 0, OUT exists, the --report file is valid JSON
#   S/shape            OUT has the same shape as IN, recognised from its members and documents
#                      (shape 6 — "./" names, repeated directories, any order — counts as shape 4)
#   S/sparse-carried   (sparse only) the index still names the absent linux/arm64 manifest, unchanged
#   S/docker-load      (shapes 1, 2, 4, 6) `docker load` into a private dockerd 20.10, then every loaded
#                      image runs (`docker run --network none`, or a chroot) and prints what the
#                      original image's Cmd prints
#   S/ctr-import       (shapes 2, 3, sparse) `ctr images import` + unpack into a private containerd;
#                      every image is "complete" and unpacked for the default platform
#   S/podman-load      `podman load` (vfs storage under a temp dir)
#   S/skopeo-inspect-N, S/skopeo-copy-N  for each skopeo reference of the archive (docker-archive:,
#                      oci-archive:, per image for multi-image archives)
#   S/unpack           skopeo copy → oci:, umoci unpack, probes run in a chroot (archive-loaders.sh)
#   S/e-probe-system, S/e-probe-venv   python-probe.py imports the same modules as on the original
#   S/e-same-tree      (E2E_ARCHIVES_PROBE=first, instead of the probes) the diff_ids equal the probed shape's
#   S/f-cmd            the image Cmd prints the same as on the original
#   S/h-deterministic  a second rewrite gives a byte-identical archive (cmp)
# and once:
#   roundtrip/docker-save-pipe-load   `docker save ocislim/test:latest | ocislim rewrite --strategy
#                      drop-bytecode docker-archive:- docker-archive:- | docker load` in a private dockerd;
#                      the loaded image has a new ID and its Cmd prints the same
# Each check prints one PASS/FAIL line; the last line is exactly `e2e-archives: N passed, M failed`,
# and the exit status is non-zero if M > 0. Work files live under .cache/e2e-archives/ (git-ignored);
# the original image's probe outputs are cached there, keyed by image digest and script hashes.
# Needs root (dockerd, containerd, umoci unpack, chroot).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCRIPTS="$ROOT/scripts"

OCISLIM=${OCISLIM:-.build-static/release/ocislim}
SELFTEST=${E2E_ARCHIVES_SELFTEST:-0}
IMG=${E2E_IMAGE:-.cache/images/python-debian}
ARCHIVES=${E2E_ARCHIVES:-.cache/images/archives}
PROBE=${E2E_ARCHIVES_PROBE:-1}
export AL_PROBE=$PROBE
[[ $PROBE == first ]] && AL_PROBE=1
# With E2E_ARCHIVES_PROBE=first: the diff_ids of the shape probed first, one per line.
PROBED_DIFF_IDS=
SHAPES=${E2E_ARCHIVE_SHAPES:-"shape1-docker-legacy shape2-docker25 shape3-containerd shape3-containerd-sparse
    shape4-skopeo shape5-crane shape6-dotslash oci-archive"}
TAG=latest
WORK=.cache/e2e-archives
ORIG="$WORK/orig"

# The shape each fixture is, and must stay.
declare -A SHAPE=(
    [shape1-docker-legacy]=docker-legacy [shape2-docker25]=docker25 [shape3-containerd]=containerd
    [shape3-containerd-sparse]=containerd [shape4-skopeo]=skopeo [shape5-crane]=crane
    [shape6-dotslash]=skopeo [oci-archive]=oci-archive
)
DOCKER_LOAD=" shape1-docker-legacy shape2-docker25 shape4-skopeo shape6-dotslash "
CTR_IMPORT=" shape2-docker25 shape3-containerd shape3-containerd-sparse "

# The skopeo references of archive $2 for fixture $1, one per line (the first one is probed).
skopeo_refs() {
    local s=$1 f=$2
    case $s in
    shape1-docker-legacy) printf '%s\n' "docker-archive:$f:ocislim/test:latest" "docker-archive:$f:ocislim/test:extra" ;;
    shape2-docker25 | shape3-containerd | shape3-containerd-sparse)
        printf '%s\n' "oci-archive:$f:$TAG" "docker-archive:$f" ;;
    oci-archive) printf '%s\n' "oci-archive:$f:$TAG" ;;
    *) printf '%s\n' "docker-archive:$f" ;;
    esac
}

PASSED=0
FAILED=0

log() { printf '[e2e-archives %(%H:%M:%S)T] %s\n' -1 "$*"; }

# run_check NAME LOG COMMAND...: scripts/lib/checks.sh.
source "$ROOT/scripts/lib/checks.sh"

finish() {
    echo "e2e-archives: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

# archive_shape FILE — which writer's shape FILE has, from its member names and documents:
# docker-legacy, docker25, containerd, skopeo, crane, oci-archive or unknown.
archive_shape() {
    python3 - "$1" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1], "r:") as t:
    members = {}
    for m in t:
        name = m.name[2:] if m.name.startswith("./") else m.name
        members.setdefault(name.rstrip("/"), m)
    def doc(name):
        m = members.get(name)
        return json.load(t.extractfile(m)) if m is not None and m.isfile() else None
    index, manifest = doc("index.json"), doc("manifest.json")
    if manifest is None:
        print("oci-archive" if index is not None and "oci-layout" in members else "unknown")
        sys.exit(0)
    layers = [l for item in manifest for l in item.get("Layers", [])]
    configs = [item.get("Config", "") for item in manifest]
    if index is not None:
        print("docker25" if "repositories" in members else "containerd")
    elif all(l.endswith("/layer.tar") for l in layers) and all(c.endswith(".json") for c in configs):
        print("docker-legacy")
    elif all(c.startswith("sha256:") for c in configs) and all("/" not in l for l in layers):
        print("crane")
    elif all("/" not in l and l.endswith(".tar") for l in layers):
        print("skopeo")
    else:
        print("unknown")
PY
}

# The descriptors of the (only) image index that index.json names, as compact JSON lines.
index_children() {
    python3 - "$1" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1], "r:") as t:
    files = {}
    for m in t:
        files[m.name[2:] if m.name.startswith("./") else m.name] = m
    index = json.load(t.extractfile(files["index.json"]))
    for d in index["manifests"]:
        if d.get("mediaType") == "application/vnd.oci.image.index.v1+json":
            child = json.load(t.extractfile(files["blobs/" + d["digest"].replace(":", "/")]))
            for c in child["manifests"]:
                print(json.dumps(c, sort_keys=True, separators=(",", ":")))
PY
}

# ---------------------------------------------------------------------------------------------
# Preconditions.
if [[ $(id -u) -ne 0 ]]; then
    echo "e2e-archives: must run as root (dockerd, containerd, umoci unpack, chroot)" >&2
    FAILED=1; finish; exit 1
fi
if [[ $SELFTEST != 1 && ! -x "$OCISLIM" ]]; then
    echo "e2e-archives: OCISLIM=$OCISLIM is not an executable (build it: make release)" >&2
    FAILED=1; finish; exit 1
fi
# shellcheck source=scripts/archive-loaders.sh
source "$SCRIPTS/archive-loaders.sh"
mkdir -p "$WORK"
log "ensure test image $IMG and archive fixtures $ARCHIVES"
"$SCRIPTS/make-test-image.sh" "$IMG"
"$SCRIPTS/make-archive-fixtures.sh" "$IMG" "$ARCHIVES"
[[ $SELFTEST == 1 ]] && log "SELF-TEST: the loader checks run on the input fixtures; no ocislim"

# The original image's probe outputs and Cmd output; cached until the image or the scripts change.
orig_key=$( {
    skopeo inspect --raw "oci:$IMG:$TAG" | sha256sum
    sha256sum "$SCRIPTS/python-probe.py" "$SCRIPTS/chroot-python.sh" "$SCRIPTS/archive-loaders.sh" | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
if [[ ! -f "$ORIG/key" || "$(cat "$ORIG/key")" != "$orig_key" ]]; then
    log "unpack and probe the original image"
    rm -rf "$ORIG" "$ORIG.tmp"
    AL_PROBE=1 unpack_and_probe "oci:$IMG:$TAG" "$ORIG.tmp"
    echo "$orig_key" >"$ORIG.tmp/key"
    mv -T "$ORIG.tmp" "$ORIG"
fi

# ---------------------------------------------------------------------------------------------
# Checks. Each runs in a subshell with `set -e`; S, IN, OUT, D come from the loop.

check_rewrite() {
    [[ $rewrite_rc -eq 0 ]] || { echo "ocislim exited with $rewrite_rc"; cat "$D/rewrite.log"; exit 1; }
    [[ -f "$OUT" ]] || { echo "no output archive $OUT"; exit 1; }
    [[ -s "$D/report.json" ]] || { echo "no report file"; exit 1; }
    jq -e . "$D/report.json" >/dev/null
}
check_shape() {
    local got
    got=$(archive_shape "$OUT")
    echo "shape: $got (want ${SHAPE[$S]})"
    [[ $got == "${SHAPE[$S]}" ]]
}
check_sparse_carried() {
    index_children "$IN" >"$D/children-in.txt"
    index_children "$OUT" >"$D/children-out.txt"
    cat "$D/children-out.txt"
    local arm
    arm=$(grep '"architecture":"arm64"' "$D/children-in.txt")
    [[ -n $arm ]] || { echo "the input names no arm64 manifest"; exit 1; }
    grep -qxF "$arm" "$D/children-out.txt" || { echo "the arm64 descriptor changed or is gone: $arm"; exit 1; }
    # …and its blob is still absent (nothing invented).
    local hex
    hex=$(jq -r '.digest | sub("sha256:"; "")' <<<"$arm")
    tar tf "$OUT" | sed 's|^\./||' >"$D/members-out.txt"
    if grep -qx "blobs/sha256/$hex" "$D/members-out.txt"; then
        echo "the arm64 manifest blob appeared in the output"; exit 1
    fi
}
check_docker_load() {
    docker_load_and_run "$OUT" "$D/docker-run.txt" | tee "$D/docker-loaded.txt"
    local n=0 ref
    while read -r ref; do
        n=$((n + 1))
        awk -F'\t' -v r="$ref" '$1 == r { sub(/^[^\t]*\t/, ""); print }' "$D/docker-run.txt" >"$D/docker-run-one.txt"
        echo "docker run $ref:"
        diff -u "$ORIG/cmd.txt" "$D/docker-run-one.txt"
    done < <(cut -f1 "$D/docker-run.txt" | sort -u)
    [[ $n -eq $(wc -l <"$D/docker-loaded.txt") ]] || { echo "not every loaded image ran"; exit 1; }
}
check_ctr_import() {
    ctr_import "$OUT" | tee "$D/ctr.txt"
    [[ -s "$D/ctr.txt" ]]
    awk -F'\t' '$3 != "complete" || $4 != "true" { bad = 1 } END { exit bad }' "$D/ctr.txt"
}
check_podman_load() {
    podman_load "$OUT" | tee "$D/podman.txt"
    [[ -s "$D/podman.txt" ]]
}
check_skopeo_inspect() { skopeo_inspect "$1"; }
check_skopeo_copy() { skopeo_copy_check "$1"; }
check_unpack() { rm -rf "$D/probe"; unpack_and_probe "$1" "$D/probe"; }
check_probe() { diff -u "$ORIG/probe-$1.txt" "$D/probe/probe-$1.txt"; }
diff_ids() { skopeo inspect --config "$1" | jq -r '.rootfs.diff_ids[]'; }
check_same_tree() { diff -u <(echo "$PROBED_DIFF_IDS") <(diff_ids "$1"); }
check_cmd() { cat "$D/probe/cmd.txt"; diff -u "$ORIG/cmd.txt" "$D/probe/cmd.txt"; }
check_deterministic() {
    [[ $rewrite2_rc -eq 0 ]] || { echo "second rewrite exited with $rewrite2_rc"; cat "$D/rewrite2.log"; exit 1; }
    cmp "$OUT" "$OUT2"
}

check_roundtrip() {
    local id0 id1
    # Not local: the EXIT trap runs after this function has returned.
    RT_DIR=$(al_workdir ocislim-roundtrip)
    trap 'al_stop "$RT_DIR"' EXIT
    local W=$RT_DIR
    al_start_dockerd "$W"
    al_docker "$W" load -q -i "$ARCHIVES/shape4-skopeo.tar"
    al_docker "$W" tag localhost/ocislim/test:latest ocislim/test:latest
    id0=$(al_docker "$W" image inspect --format '{{.Id}}' ocislim/test:latest)
    if [[ $SELFTEST == 1 ]]; then
        al_docker "$W" save ocislim/test:latest | cat | al_docker "$W" load
    else
        al_docker "$W" save ocislim/test:latest |
            "$OCISLIM" rewrite --strategy drop-bytecode docker-archive:- docker-archive:- |
            al_docker "$W" load
    fi
    id1=$(al_docker "$W" image inspect --format '{{.Id}}' ocislim/test:latest)
    echo "image id before $id0, after $id1"
    if [[ $SELFTEST != 1 ]]; then
        [[ $id0 != "$id1" ]] || { echo "docker load kept the original image: nothing was rewritten"; exit 1; }
    fi
    al_docker "$W" run --rm --network none ocislim/test:latest >"$WORK/roundtrip-cmd.txt"
    diff -u "$ORIG/cmd.txt" "$WORK/roundtrip-cmd.txt"
}

# ---------------------------------------------------------------------------------------------
for S in $SHAPES; do
    IN="$ARCHIVES/$S.tar"
    D="$WORK/$S"
    rm -rf "$D"
    mkdir -p "$D"
    if [[ ! -f "$IN" || -z "${SHAPE[$S]:-}" ]]; then
        FAILED=$((FAILED + 1))
        echo "FAIL $S (no fixture $IN, or an unknown shape name)"
        continue
    fi
    if [[ $SELFTEST == 1 ]]; then
        OUT=$IN
    else
        OUT="$D/out.tar"
        log "$S: ocislim rewrite"
        rewrite_rc=0
        "$OCISLIM" rewrite --strategy drop-bytecode --report "$D/report.json" "$IN" "$OUT" \
            >"$D/rewrite.log" 2>&1 || rewrite_rc=$?
        run_check "$S/rewrite" "$D/check-rewrite.log" check_rewrite
        if [[ $rewrite_rc -ne 0 || ! -f "$OUT" ]]; then
            continue
        fi
    fi
    log "$S: checks on $OUT"
    run_check "$S/shape" "$D/check-shape.log" check_shape
    if [[ $S == *sparse* ]]; then
        run_check "$S/sparse-carried" "$D/check-sparse.log" check_sparse_carried
    fi
    if [[ $DOCKER_LOAD == *" $S "* ]]; then
        run_check "$S/docker-load" "$D/check-docker.log" check_docker_load
    fi
    if [[ $CTR_IMPORT == *" $S "* ]]; then
        run_check "$S/ctr-import" "$D/check-ctr.log" check_ctr_import
    fi
    run_check "$S/podman-load" "$D/check-podman.log" check_podman_load
    mapfile -t REFS < <(skopeo_refs "$S" "$OUT")
    for i in "${!REFS[@]}"; do
        run_check "$S/skopeo-inspect-$i" "$D/check-skopeo-inspect-$i.log" check_skopeo_inspect "${REFS[$i]}"
        run_check "$S/skopeo-copy-$i" "$D/check-skopeo-copy-$i.log" check_skopeo_copy "${REFS[$i]}"
    done
    # The same diff_ids as the shape probed first: the same filesystem, whose probes are known.
    same_tree=0
    if [[ $PROBE == first && -n $PROBED_DIFF_IDS && "$(diff_ids "${REFS[0]}" 2>/dev/null)" == "$PROBED_DIFF_IDS" ]]; then
        same_tree=1
    fi
    AL_PROBE=$([[ $PROBE == 0 || $same_tree == 1 ]] && echo 0 || echo 1) \
        run_check "$S/unpack" "$D/check-unpack.log" check_unpack "${REFS[0]}"
    if [[ -f "$D/probe/cmd.txt" ]]; then
        if [[ $same_tree == 1 ]]; then
            run_check "$S/e-same-tree" "$D/check-e-same.log" check_same_tree "${REFS[0]}"
        elif [[ $PROBE != 0 ]]; then
            run_check "$S/e-probe-system" "$D/check-e-system.log" check_probe system
            run_check "$S/e-probe-venv" "$D/check-e-venv.log" check_probe venv
            if [[ $PROBE == first && -z $PROBED_DIFF_IDS ]]; then PROBED_DIFF_IDS=$(diff_ids "${REFS[0]}"); fi
        fi
        run_check "$S/f-cmd" "$D/check-f.log" check_cmd
    fi
    rm -rf "$D/probe"
    if [[ $SELFTEST != 1 ]]; then
        log "$S: second rewrite for the determinism check"
        OUT2="$D/out2.tar"
        rewrite2_rc=0
        "$OCISLIM" rewrite --strategy drop-bytecode --report "$D/report2.json" "$IN" "$OUT2" \
            >"$D/rewrite2.log" 2>&1 || rewrite2_rc=$?
        run_check "$S/h-deterministic" "$D/check-h.log" check_deterministic
        rm -f "$OUT2"
    fi
done

log "round trip: docker save | ocislim | docker load"
run_check "roundtrip/docker-save-pipe-load" "$WORK/check-roundtrip.log" check_roundtrip

finish
