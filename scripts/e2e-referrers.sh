#!/usr/bin/env bash
# e2e-referrers.sh — issue 11's signatures and attestations through the release binary, on the small layouts of
# testdata/referrers (scripts/make-referrer-fixtures.py, which cites the BuildKit, cosign, notation and OCI specs):
#   the fixtures are what the script makes, byte for byte; after the default rewrite (signatures dropped,
#   attestations relinked) BuildKit's vnd.docker.reference.digest and in-toto subjects name the new manifest,
#   --digestfile lists exactly the rewritten image manifests and indexes, no file names a dropped digest, the
#   .sbom tag follows the image; --signatures refuse exits 3 and writes nothing; keep warns; --scan-blobs lists a
#   relinked loose attestation; a docker-archive output drops every referrer and says so (refuse exits 3 for any
#   signature), an oci-archive carries them, an output name names the image alone (its referrers keep theirs, in a
#   new or an existing layout), and a referrer naming a document above it is refused before any layer is read.
#   Every output is checked with oci-image-tool, umoci and skopeo.
#
#   OCISLIM=path/to/ocislim scripts/e2e-referrers.sh     (default: .build-static/release/ocislim)
# Each check prints one PASS/FAIL line; the last line is exactly `e2e-referrers: N passed, M failed`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OCISLIM=${OCISLIM:-.build-static/release/ocislim}
FIXTURES=testdata/referrers
WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e-referrers.XXXXXX")
# Kept on failure, for the logs the FAIL lines name.
trap '[[ ${FAILED:-1} -eq 0 ]] && rm -rf "$WORK"' EXIT
PASSED=0
FAILED=0

source "$ROOT/scripts/lib/checks.sh"
check() {
    mkdir -p "$(dirname "$WORK/logs/$1")"
    run_check "$1" "$WORK/logs/$1.log" "$2"
}

# rewrite NAME OUT [OPTIONS...]: the fixture NAME rewritten into $WORK/OUT with a JSON report and a digest file.
rewrite() {
    local name=$1 out=$2
    shift 2
    "$OCISLIM" rewrite -q --report "$WORK/$out.json" --digestfile "$WORK/$out.digests" "$@" \
        "$FIXTURES/$name" "$WORK/$out" > "$WORK/$out.table"
}

# validate LAYOUT REF IMAGE: skopeo reads REF (an image or an index, for this host's platform); oci-image-tool and
# umoci validate the image manifest IMAGE (a digest) in a layout listing it alone: oci-image-tool 1.0.0-rc1 predates
# OCI 1.1 and refuses what an index beside the image holds (in-toto layers, the empty config).
validate() {
    local layout=$1 ref=$2 image=$3 one size
    skopeo inspect "oci:$layout:$ref" > /dev/null
    one=$(mktemp -d "$WORK/validate.XXXXXX")
    cp -al "$layout/blobs" "$one/blobs"
    cp "$layout/oci-layout" "$one/"
    size=$(stat -c %s "$layout/blobs/sha256/${image#sha256:}")
    jq -n --arg digest "$image" --argjson size "$size" '{schemaVersion: 2, manifests: [{
        mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $digest, size: $size,
        annotations: {"org.opencontainers.image.ref.name": "image"}}]}' > "$one/index.json"
    oci-image-tool validate --type image --ref name=image "$one"
    umoci stat --image "$one:image" > /dev/null
    rm -rf "$one"
}

# no_file_names LAYOUT HEX: no blob and not index.json mention HEX.
no_file_names() {
    if grep -rl "$2" "$1"; then return 1; fi
}

# manifest OUT old|new [NAME]: the digest of the image (the first, or the one named NAME) in OUT's report.
manifest() {
    jq -r --arg name "${3:-}" \
        '[.images[] | select($name == "" or (.name | startswith($name + " ")))][0].manifest.'"$2" "$WORK/$1.json"
}

# old_gone_and_valid OUT REF [NAME]: no file of OUT names the image's old digest, and its new image validates.
old_gone_and_valid() {
    local old
    old=$(manifest "$1" old "${3:-}")
    no_file_names "$WORK/$1" "${old#sha256:}"
    validate "$WORK/$1" "$2" "$(manifest "$1" new "${3:-}")"
}

fixtures_are_reproducible() {
    python3 scripts/make-referrer-fixtures.py "$WORK/regenerated"
    diff -r "$FIXTURES" "$WORK/regenerated"
}
check fixtures/reproducible fixtures_are_reproducible

buildkit_relinked() {
    rewrite buildkit buildkit
    local new nested attestation
    new=$(manifest buildkit new)
    [[ $(manifest buildkit old) != "$new" ]]
    nested=$(jq -r '.manifests[0].digest' "$WORK/buildkit/index.json")
    # --digestfile: the image manifest and the index above it, nothing else (not the attestation manifest).
    printf '%s\n' "$new" "$nested" | sort | diff - <(sort "$WORK/buildkit.digests")
    jq -r '.digestMap[].new' "$WORK/buildkit.json" | sort | diff - <(sort "$WORK/buildkit.digests")
    local index=$WORK/buildkit/blobs/sha256/${nested#sha256:}
    [[ $(jq -r '.manifests[1].annotations["vnd.docker.reference.digest"]' "$index") == "$new" ]]
    attestation=$(jq -r '.manifests[1].digest' "$index")
    [[ $(jq -r '.referrers[0] | "\(.action) \(.newDigest) \(.subject.new)"' "$WORK/buildkit.json") \
        == "relinked $attestation $new" ]]
    for layer in $(jq -r '.layers[].digest' "$WORK/buildkit/blobs/sha256/${attestation#sha256:}"); do
        [[ $(jq -r '.subject[0].digest.sha256' "$WORK/buildkit/blobs/sha256/${layer#sha256:}") == "${new#sha256:}" ]]
    done
    grep -q "^attestation $(jq -r '.referrers[0].digest[7:19]' "$WORK/buildkit.json") (buildkit-attestation) of \
$(manifest buildkit old | cut -c8-19): relinked → ${attestation:7:12}\$" "$WORK/buildkit.table"
    old_gone_and_valid buildkit latest
}
check buildkit/attestations-relinked buildkit_relinked

buildkit_dropped() {
    rewrite buildkit buildkit-drop --attestations drop
    [[ $(jq -r '.referrers[0].action' "$WORK/buildkit-drop.json") == dropped ]]
    old_gone_and_valid buildkit-drop latest
}
check buildkit/attestations-dropped buildkit_dropped

cosign_defaults() {
    rewrite cosign cosign
    local new static
    new=$(manifest cosign new app)
    static=$(manifest cosign new static)
    [[ $(manifest cosign old static) == "$static" ]]
    jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$WORK/cosign/index.json" \
        | diff - <(printf '%s\n' app static "sha256-${new#sha256:}.sbom" "sha256-${static#sha256:}.sig")
    [[ $(jq -r '[.referrers[].action] | join(" ")' "$WORK/cosign.json") == "dropped dropped relinked unchanged dropped" ]]
    [[ $(grep -c ': dropped' "$WORK/cosign.table") == 3 ]]
    old_gone_and_valid cosign app app
    validate "$WORK/cosign" static "$static"
    skopeo inspect --raw "oci:$WORK/cosign:sha256-${new#sha256:}.sbom" > /dev/null
    skopeo inspect --raw "oci:$WORK/cosign:sha256-${static#sha256:}.sig" \
        | cmp - "$FIXTURES/cosign/blobs/sha256/$(jq -r '.manifests[5].digest[7:]' "$FIXTURES/cosign/index.json")"
}
check cosign/signatures-dropped-sbom-follows cosign_defaults

cosign_refused() {
    local rc=0
    "$OCISLIM" rewrite -q --signatures refuse "$FIXTURES/cosign" "$WORK/refused" > "$WORK/refused.out" \
        2> "$WORK/refused.err" || rc=$?
    [[ $rc -eq 3 ]]
    [[ $(wc -l < "$WORK/refused.err") -eq 1 ]]
    grep -q '^Error: --signatures refuse: 4 signatures would no longer verify: sha256:' "$WORK/refused.err"
    [[ ! -e $WORK/refused ]]
}
check cosign/refuse-exits-3 cosign_refused

cosign_kept() {
    rewrite cosign cosign-keep --signatures keep
    [[ $(grep -c '^warning: signature sha256:.* was kept as asked: it still names' "$WORK/cosign-keep.table") == 3 ]]
    [[ $(jq '.manifests | length' "$WORK/cosign-keep/index.json") == 7 ]]
    validate "$WORK/cosign-keep" app "$(manifest cosign-keep new app)"
}
check cosign/keep-warns cosign_kept

notation_dropped() {
    rewrite notation notation
    [[ $(jq -r '.referrers[0] | "\(.class) \(.artifactType) \(.action)"' "$WORK/notation.json") \
        == "signature application/vnd.cncf.notary.signature dropped" ]]
    old_gone_and_valid notation app
}
check notation/signature-dropped notation_dropped

nested_relinked() {
    rewrite nested nested
    local new nested referrer
    new=$(manifest nested new)
    nested=$(jq -r '.manifests[0].digest[7:]' "$WORK/nested/index.json")
    referrer=$(jq -r '.manifests[0].digest[7:]' "$WORK/nested/blobs/sha256/$nested")
    [[ $(jq -r '.subject.digest' "$WORK/nested/blobs/sha256/$referrer") == "$new" ]]
    [[ $(jq -r '[.referrers[] | "\(.class):\(.action)"] | join(" ")' "$WORK/nested.json") \
        == "attestation:relinked unknown:dropped" ]]
    validate "$WORK/nested" latest "$new"
}
check nested/referrer-before-subject-relinked nested_relinked

loose_scanned() {
    rewrite loose loose --scan-blobs
    [[ $(jq '.manifests | length' "$WORK/loose/index.json") == 2 ]]
    [[ $(jq -r '[.referrers[] | select(.loose) | .action] | sort | join(" ")' "$WORK/loose.json") \
        == "dropped relinked" ]]
    old_gone_and_valid loose app
}
check loose/scan-blobs loose_scanned

# cosign_layout DIR POSITIONS: the cosign fixture copied to DIR, its index.json listing only the entries at POSITIONS
# (a jq array, e.g. [0,2,3,4,6]: app, its .sig, .att, .sbom and bundle).
cosign_layout() {
    cp -r "$FIXTURES/cosign" "$1"
    jq -c --argjson keep "$2" '.manifests = [.manifests[$keep[]]]' "$FIXTURES/cosign/index.json" > "$1/index.json"
}

docker_archive_drops_all() {
    local out=$WORK/cosign-docker.tar
    "$OCISLIM" rewrite -q --report "$WORK/cosign-docker.json" --signatures keep "$FIXTURES/cosign" \
        "docker-archive:$out" > "$WORK/cosign-docker.table"
    local reason="docker-archive cannot hold signatures or attestations"
    [[ $(jq -r '[.referrers[] | "\(.action):\(.reason)"] | unique | join(" ")' "$WORK/cosign-docker.json") \
        == "dropped:$reason" ]]
    [[ $(jq '.referrers | length' "$WORK/cosign-docker.json") == 5 ]]
    grep -qx "warning: $reason: 5 dropped" "$WORK/cosign-docker.table"
    [[ $(grep -c ': dropped$' "$WORK/cosign-docker.table") == 5 ]]
    if grep -q 'was kept as asked' "$WORK/cosign-docker.table"; then return 1; fi
    skopeo inspect "docker-archive:$out:@0" > /dev/null
    skopeo inspect "docker-archive:$out:@1" > /dev/null
    # Read back (docker-archive input, OCI output): no referrer to carry.
    "$OCISLIM" rewrite -q --report "$WORK/cosign-docker-back.json" "docker-archive:$out" \
        "$WORK/cosign-docker-back" > /dev/null
    [[ $(jq '.referrers | length' "$WORK/cosign-docker-back.json") == 0 ]]
}
check docker-archive/every-referrer-dropped docker_archive_drops_all

docker_archive_refused() {
    # static's .sig without static: a layout output copies it as it is; a docker-archive output would lose it too.
    cosign_layout "$WORK/cosign-orphan" '[0,2,3,4,5,6]'
    local rc=0
    "$OCISLIM" rewrite -q --signatures refuse "$WORK/cosign-orphan" "docker-archive:$WORK/refused.tar" \
        > "$WORK/refused-docker.out" 2> "$WORK/refused-docker.err" || rc=$?
    [[ $rc -eq 3 ]]
    [[ $(wc -l < "$WORK/refused-docker.err") -eq 1 ]]
    grep -q '^Error: --signatures refuse: docker-archive cannot hold signatures or attestations: 4 signatures would '\
'be lost: sha256:' "$WORK/refused-docker.err"
    [[ ! -e $WORK/refused.tar ]]
    # An OCI archive holds them: only the three of the image that changes are refused.
    rc=0
    "$OCISLIM" rewrite -q --signatures refuse "$WORK/cosign-orphan" "oci-archive:$WORK/refused.tar" \
        > /dev/null 2> "$WORK/refused-oci.err" || rc=$?
    [[ $rc -eq 3 ]]
    grep -q '^Error: --signatures refuse: 3 signatures would no longer verify: sha256:' "$WORK/refused-oci.err"
}
check docker-archive/refuse-exits-3 docker_archive_refused

oci_archive_carries() {
    local out=$WORK/cosign-oci.tar new static
    "$OCISLIM" rewrite -q --report "$WORK/cosign-oci.json" "$FIXTURES/cosign" "oci-archive:$out" > /dev/null
    [[ $(jq -r '[.referrers[].action] | join(" ")' "$WORK/cosign-oci.json") \
        == "dropped dropped relinked unchanged dropped" ]]
    [[ $(jq '[.referrers[] | select(.reason)] | length' "$WORK/cosign-oci.json") == 0 ]]
    new=$(jq -r '.images[] | select(.name | startswith("app ")) | .manifest.new' "$WORK/cosign-oci.json")
    static=$(jq -r '.images[] | select(.name | startswith("static ")) | .manifest.new' "$WORK/cosign-oci.json")
    tar -xOf "$out" index.json | jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
        | diff - <(printf '%s\n' app static "sha256-${new#sha256:}.sbom" "sha256-${static#sha256:}.sig")
    skopeo inspect --raw "oci-archive:$out:sha256-${new#sha256:}.sbom" > /dev/null
}
check oci-archive/referrers-carried oci_archive_carries

named_output() {
    cosign_layout "$WORK/cosign-one" '[0,2,3,4,6]'
    "$OCISLIM" rewrite -q --report "$WORK/named.json" --signatures keep "$WORK/cosign-one" \
        "oci:$WORK/named:renamed" > /dev/null
    local new
    new=$(manifest named new)
    local names='.manifests[].annotations["org.opencontainers.image.ref.name"]'
    jq -r "$names" "$WORK/named/index.json" \
        | diff - <(jq -r "$names" "$WORK/cosign-one/index.json" \
            | sed -e 1s/.*/renamed/ -e "s/^sha256-[0-9a-f]*\.sbom\$/sha256-${new#sha256:}.sbom/")
    validate "$WORK/named" renamed "$new"
    # Into an existing layout, twice with --replace: the image and its referrers once each, beside what it had.
    cp -r "$FIXTURES/notation" "$WORK/existing"
    for replace in "" --replace; do
        "$OCISLIM" rewrite -q $replace --signatures keep "$WORK/cosign-one" "oci:$WORK/existing:renamed" > /dev/null
        [[ $(jq '.manifests | length' "$WORK/existing/index.json") == 7 ]]
    done
    validate "$WORK/existing" renamed "$new"
}
check named-output/referrers-keep-their-names named_output

ancestor_refused_early() {
    cp -r "$FIXTURES/buildkit" "$WORK/ancestor"
    local nested layer rc=0
    nested=$(jq -r '.manifests[0].digest' "$FIXTURES/buildkit/index.json")
    local inner=$FIXTURES/buildkit/blobs/sha256/${nested#sha256:}
    # The nested index's attestation listed again at the top, as a cosign tag of that index.
    jq -c --arg tag "sha256-${nested#sha256:}.att" --slurpfile inner "$inner" \
        '.manifests = [$inner[0].manifests[1] + {annotations: {"org.opencontainers.image.ref.name": $tag}}]
            + .manifests' "$FIXTURES/buildkit/index.json" > "$WORK/ancestor/index.json"
    # A layer that fails the scan: the refusal must come first.
    layer=$(jq -r '.layers[0].digest[7:]' "$WORK/ancestor/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$inner")")
    rm "$WORK/ancestor/blobs/sha256/$layer"
    printf 'not a layer' > "$WORK/ancestor/blobs/sha256/$layer"
    "$OCISLIM" rewrite -q "$WORK/ancestor" "$WORK/ancestor-out" > /dev/null 2> "$WORK/ancestor.err" || rc=$?
    [[ $rc -eq 1 ]]
    grep -qx "Error: manifest sha256:[0-9a-f]* refers to $nested, which lists it or refers back to it: a referrer \
cannot name a document above it" "$WORK/ancestor.err"
    [[ ! -e $WORK/ancestor-out ]]
}
check ancestor/refused-before-any-layer ancestor_refused_early

echo "e2e-referrers: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
