#!/usr/bin/env bash
# e2e-mirror.sh — ocislim as a registry mirror's step (issue 11): a round trip through a real local registry.
#
#   OCISLIM=path/to/ocislim scripts/e2e-mirror.sh      (default: .build-static/release/ocislim; run as root for dockerd)
#
# Debian's docker-registry (distribution 2.8) listens on 127.0.0.1 on a free port, storage in a temp dir, stopped by
# its PID at exit. The real test image is wrapped in an image index with a BuildKit-style attestation manifest
# (scripts/attach-attestation.py) and then goes the way a mirror sends it:
#   deploy-manifests  deploy/'s Kubernetes Job and Argo WorkflowTemplate parse and map the exit statuses
#                     (scripts/check-deploy.py; there is no cluster here)
#   push-attested     skopeo copy --all oci: → docker://127.0.0.1:PORT/ocislim/python:latest; the registry serves
#                     the index with the digest the layout has
#   mirror-pull       skopeo copy --all docker:// → oci:DIR:latest (what `skopeo sync` does); same index digest
#   rewrite           ocislim rewrite --cache --report --digestfile: every manifest of the index is
#                     in the report's digestMap, the digest file lists the new digests, the attestation is carried
#   push-slim         skopeo copy --all oci:OUT:latest → docker://…:slim; `skopeo inspect --raw` hashes to the
#                     report's new index digest, and skopeo's own --digestfile agrees
#   pull-run          a private dockerd pulls …:slim from the registry and runs
#                     python3 -c 'import json, email, venv; print("ok")' with --network none
#                     (MIRROR_DOCKER_RUN=0, or a dockerd that cannot run containers here: `ocislim verify` of the
#                     image pulled back with skopeo against the original instead; the log says which ran)
#   attestation-relinked  the attestation's vnd.docker.reference.digest and its in-toto subject name the new image
#                     manifest (--attestations relink, the default; MIRROR_EXPECT_RELINK=0 skips the check)
# The last line is exactly `e2e-mirror: N passed, M failed`.
set -euo pipefail

# --- The referrer policy, e.g. MIRROR_REFERRER_ARGS=(--signatures refuse); relinking attestations is the default.
# The rewrite uses a layer cache (--cache) under the work directory, as a mirror's job does on a shared volume.
MIRROR_REFERRER_ARGS=()
MIRROR_EXPECT_RELINK=${MIRROR_EXPECT_RELINK:-1}
# ---

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=$(realpath "${OCISLIM:-.build-static/release/ocislim}")
IMG=$(realpath -m "${MIRROR_IMAGE:-.cache/images/python-debian}")
STRATEGY=${MIRROR_STRATEGY:-drop-bytecode}
PASSED=0
FAILED=0
# shellcheck source=lib/checks.sh
source scripts/lib/checks.sh
# shellcheck source=archive-loaders.sh
source scripts/archive-loaders.sh

log() { printf '[e2e-mirror %(%H:%M:%S)T] %s\n' -1 "$*"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/ocislim-mirror.XXXXXX")
MIRROR_CACHE_ARGS=(--cache "$W/cache")
# The logs outlive the work directory (its layouts are large).
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/ocislim-mirror-logs.XXXXXX")
REGISTRY_PID=
cleanup() {
    if [[ -n "$REGISTRY_PID" ]]; then
        kill -TERM "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
    fi
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A port nothing listens on now (the registry binds it a moment later; another taker in between fails startup).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_registry — docker-registry on 127.0.0.1:PORT, storage under $W/registry; sets REGISTRY_PID and REGISTRY.
start_registry() {
    local port d="$W/registry"
    port=$(free_port)
    mkdir -p "$d/data"
    cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    /usr/bin/docker-registry serve "$d/config.yml" </dev/null >"$d/log" 2>&1 &
    REGISTRY_PID=$!
    REGISTRY=127.0.0.1:$port
    al_wait_ready "$REGISTRY_PID" "$d/log" curl -fsS "http://$REGISTRY/v2/"
}

# The sha256 of the manifest or index the registry serves for REF (docker://…).
served_digest() { echo "sha256:$(skopeo inspect --raw --tls-verify=false "$1" | sha256sum | cut -d' ' -f1)"; }

# The digest of the index a layout's index.json names first.
layout_digest() { jq -r '.manifests[0].digest' "$1/index.json"; }

# The blob at DIGEST in layout $1, as JSON.
layout_blob() { cat "$1/blobs/sha256/${2#sha256:}"; }

# ---------------------------------------------------------------------------------------
[[ -x "$OCISLIM" ]] || { echo "e2e-mirror: OCISLIM=$OCISLIM is not executable" >&2; exit 1; }
log "ensure test image $IMG"
scripts/make-test-image.sh "$IMG" >/dev/null
log "registry"
start_registry
log "registry on $REGISTRY (pid $REGISTRY_PID), work in $W, logs in $LOGS"
REPO=$REGISTRY/ocislim/python

check_deploy() { python3 scripts/check-deploy.py deploy; }

check_push_attested() {
    mapfile -t ATTACHED < <(python3 scripts/attach-attestation.py "$IMG" "$W/attested")
    printf 'index %s\nimage %s\nattestation %s\n' "${ATTACHED[@]}"
    skopeo copy -q --all --dest-tls-verify=false "oci:$W/attested:latest" "docker://$REPO:latest"
    local served; served=$(served_digest "docker://$REPO:latest")
    [[ $served == "${ATTACHED[0]}" ]] || { echo "the registry serves $served, the layout has ${ATTACHED[0]}"; exit 1; }
}

check_mirror_pull() {
    skopeo copy -q --all --src-tls-verify=false "docker://$REPO:latest" "oci:$W/mirror:latest"
    local pulled; pulled=$(layout_digest "$W/mirror")
    [[ $pulled == "$(layout_digest "$W/attested")" ]] || { echo "pulled index $pulled differs"; exit 1; }
    # Both manifests came along, the attestation with its annotations.
    layout_blob "$W/mirror" "$pulled" | jq -e '[.manifests[].annotations["vnd.docker.reference.type"]]
        | index("attestation-manifest") != null' >/dev/null
}

check_rewrite() {
    "$OCISLIM" rewrite -q --strategy "$STRATEGY" "${MIRROR_CACHE_ARGS[@]}" "${MIRROR_REFERRER_ARGS[@]}" \
        --report "$W/report.json" --digestfile "$W/digests" "oci:$W/mirror:latest" "oci:$W/slim:latest"
    jq -c '.digestMap[]' "$W/report.json"
    local old_index new_index
    old_index=$(layout_digest "$W/mirror")
    new_index=$(jq -r --arg old "$old_index" '.digestMap[] | select(.old == $old) | .new' "$W/report.json")
    [[ -n "$new_index" && $new_index == "$(layout_digest "$W/slim")" ]] ||
        { echo "the report maps $old_index to '$new_index'; the output's index is $(layout_digest "$W/slim")"; exit 1; }
    # The digest file lists exactly the report's new digests.
    diff <(jq -r '.digestMap[].new' "$W/report.json" | sort) <(sort "$W/digests")
    # The layer cache was used: every layer a miss on this first run, recorded for the next.
    jq -e '.cache.layers.misses > 0 and .cache.layers.hits == 0' "$W/report.json" >/dev/null
    # The attestation manifest is still in the new index.
    layout_blob "$W/slim" "$new_index" | jq -e '[.manifests[].annotations["vnd.docker.reference.type"]]
        | index("attestation-manifest") != null' >/dev/null
    # (Not oci-image-tool: Debian's 1.0 refuses an application/vnd.in-toto+json layer in any layout. push-slim has
    # skopeo and the registry check every digest.)
}

check_push_slim() {
    skopeo copy -q --all --dest-tls-verify=false --digestfile "$W/pushed" "oci:$W/slim:latest" "docker://$REPO:slim"
    local expected served
    expected=$(jq -r --arg old "$(layout_digest "$W/mirror")" '.digestMap[] | select(.old == $old) | .new' \
        "$W/report.json")
    served=$(served_digest "docker://$REPO:slim")
    echo "report $expected, registry $served, skopeo --digestfile $(cat "$W/pushed")"
    [[ $served == "$expected" ]] || { echo "the registry's digest is not the report's"; exit 1; }
    [[ $(cat "$W/pushed") == "$expected" ]] || { echo "skopeo's --digestfile is not the report's"; exit 1; }
}

check_pull_run() {
    local out
    if [[ ${MIRROR_DOCKER_RUN:-1} == 1 ]]; then
        # Each check is a subshell (not local: the trap runs after the function returns): its daemons stop with it.
        docker_dir=$(al_workdir ocislim-mirror-docker)
        trap 'al_stop "$docker_dir"' EXIT
        al_start_dockerd "$docker_dir"
        # 127.0.0.0/8 is an insecure registry for dockerd by default: plain HTTP.
        al_docker "$docker_dir" pull -q "$REPO:slim"
        if out=$(al_docker "$docker_dir" run --rm --network none "$REPO:slim" \
            python3 -c 'import json, email, venv; print("ok")' 2>"$W/run.err"); then
            echo "docker run: $out"
            [[ $out == ok ]]
            return
        fi
        echo "docker run failed here ($(tail -n 1 "$W/run.err")); verifying the pulled image instead"
    fi
    skopeo copy -q --all --src-tls-verify=false "docker://$REPO:slim" "oci:$W/pulled:slim"
    "$OCISLIM" verify -q "oci:$W/mirror:latest" "oci:$W/pulled:slim"
    echo "ocislim verify: no regression"
}

check_relinked() {
    local new_index image attestation
    new_index=$(layout_digest "$W/slim")
    image=$(layout_blob "$W/slim" "$new_index" | jq -r '.manifests[] | select(.platform.os != "unknown") | .digest')
    attestation=$(layout_blob "$W/slim" "$new_index" |
        jq -r '.manifests[] | select(.annotations["vnd.docker.reference.type"] == "attestation-manifest")')
    [[ $(jq -r '.annotations["vnd.docker.reference.digest"]' <<<"$attestation") == "$image" ]]
    local statement
    statement=$(layout_blob "$W/slim" "$(jq -r .digest <<<"$attestation")" | jq -r '.layers[0].digest')
    [[ "sha256:$(layout_blob "$W/slim" "$statement" | jq -r '.subject[0].digest.sha256')" == "$image" ]]
}

run_check deploy-manifests "$LOGS/deploy.log" check_deploy
run_check push-attested "$LOGS/push-attested.log" check_push_attested
run_check mirror-pull "$LOGS/mirror-pull.log" check_mirror_pull
run_check rewrite "$LOGS/rewrite.log" check_rewrite
run_check push-slim "$LOGS/push-slim.log" check_push_slim
run_check pull-run "$LOGS/pull-run.log" check_pull_run
if [[ $MIRROR_EXPECT_RELINK == 1 ]]; then run_check attestation-relinked "$LOGS/relinked.log" check_relinked; fi
grep -h '^docker run\|^ocislim verify\|^report ' "$LOGS/pull-run.log" "$LOGS/push-slim.log" 2>/dev/null | sed 's/^/    /' || true

echo "e2e-mirror: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
