#!/usr/bin/env python3
"""attach-attestation.py LAYOUT OUT [--tag TAG] — LAYOUT's first image, wrapped with a BuildKit-style attestation.

Writes the OCI layout OUT (which must not exist) whose index.json names one image index (tag TAG, default
"latest") holding two manifests, as BuildKit stores attestations (moby/buildkit docs/attestations/
attestation-storage.md, "Attestation Manifest" and "Attestation Blob"):

  1. LAYOUT's image manifest, unchanged, with its platform from its config (os/architecture/variant);
  2. an attestation manifest: platform unknown/unknown, annotations
     `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest: <the image manifest>`,
     a config only "included for compatibility" (architecture and os `unknown`, rootfs diff_ids of its layers),
     and one layer `application/vnd.in-toto+json` (annotation `in-toto.io/predicate-type`) holding an in-toto
     Statement v0.1 (https://github.com/in-toto/attestation/blob/main/spec/v0.1.0/statement.md) whose
     `subject[].digest.sha256` is the image manifest's digest and whose predicate is a small SLSA provenance v0.2.

Every blob of LAYOUT is hard-linked into OUT (copied when OUT is on another filesystem); the new blobs are written
with their digests. Deterministic: the same LAYOUT gives the same OUT. Prints the new index's digest, the image
manifest's digest and the attestation manifest's digest, one per line.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys

IN_TOTO = "application/vnd.in-toto+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
PROVENANCE = "https://slsa.dev/provenance/v0.2"


def canonical(document):
    """The bytes BuildKit-like tools write: compact JSON, keys in insertion order."""
    return json.dumps(document, separators=(",", ":")).encode()


class Layout:
    """An OCI layout being written: blobs by digest, index.json last."""

    def __init__(self, path):
        self.path = path
        self.blobs = os.path.join(path, "blobs", "sha256")
        os.makedirs(self.blobs)

    def add_bytes(self, data, media_type, annotations=None):
        """Writes data as a blob; returns its descriptor."""
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.blobs, digest), "wb") as blob:
            blob.write(data)
        descriptor = {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}
        if annotations:
            descriptor["annotations"] = annotations
        return descriptor

    def link_from(self, source_blobs, hex_digest):
        """Hard-links (or copies) one blob of the source layout."""
        source = os.path.join(source_blobs, hex_digest)
        target = os.path.join(self.blobs, hex_digest)
        if os.path.exists(target):
            return
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)

    def finish(self, index_bytes):
        with open(os.path.join(self.path, "oci-layout"), "w") as marker:
            marker.write('{"imageLayoutVersion":"1.0.0"}')
        with open(os.path.join(self.path, "index.json"), "wb") as index:
            index.write(index_bytes)


def read_blob(blobs, digest):
    algorithm, hex_digest = digest.split(":", 1)
    if algorithm != "sha256":
        raise SystemExit(f"attach-attestation: {digest}: only sha256 blobs are handled")
    with open(os.path.join(blobs, hex_digest), "rb") as blob:
        return blob.read()


def statement(manifest_digest, tag):
    """An in-toto Statement v0.1 about the image manifest, with a minimal SLSA provenance v0.2 predicate."""
    return {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": PROVENANCE,
        "subject": [
            {
                "name": f"pkg:docker/ocislim/python-debian@{tag}?platform=linux%2Famd64",
                "digest": {"sha256": manifest_digest.split(":", 1)[1]},
            }
        ],
        "predicate": {
            "builder": {"id": "https://github.com/ocislim/ocislim/scripts/make-test-image.sh"},
            "buildType": "https://mobyproject.org/buildkit@v1",
            "metadata": {"buildInvocationID": "ocislim-e2e-mirror", "reproducible": True},
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layout")
    parser.add_argument("out")
    parser.add_argument("--tag", default="latest")
    args = parser.parse_args()

    source_blobs = os.path.join(args.layout, "blobs", "sha256")
    with open(os.path.join(args.layout, "index.json"), "rb") as index_file:
        source_index = json.load(index_file)
    image = source_index["manifests"][0]
    if image["mediaType"] != OCI_MANIFEST:
        raise SystemExit(f"attach-attestation: {args.layout}: the first entry is a {image['mediaType']}")
    manifest = json.loads(read_blob(source_blobs, image["digest"]))
    config = json.loads(read_blob(source_blobs, manifest["config"]["digest"]))

    out = Layout(args.out)
    for descriptor in [image, manifest["config"], *manifest["layers"]]:
        out.link_from(source_blobs, descriptor["digest"].split(":", 1)[1])

    platform = {"architecture": config["architecture"], "os": config["os"]}
    if config.get("variant"):
        platform["variant"] = config["variant"]
    image_entry = {"mediaType": OCI_MANIFEST, "digest": image["digest"], "size": image["size"], "platform": platform}

    # The attestation blob and the manifest around it.
    layer = out.add_bytes(
        canonical(statement(image["digest"], args.tag)), IN_TOTO, {"in-toto.io/predicate-type": PROVENANCE}
    )
    attestation_config = out.add_bytes(
        canonical(
            {
                "architecture": "unknown",
                "os": "unknown",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]},
            }
        ),
        OCI_CONFIG,
    )
    attestation = out.add_bytes(
        canonical(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": attestation_config,
                "layers": [layer],
            }
        ),
        OCI_MANIFEST,
        {"vnd.docker.reference.digest": image["digest"], "vnd.docker.reference.type": "attestation-manifest"},
    )
    attestation["platform"] = {"architecture": "unknown", "os": "unknown"}

    image_index = out.add_bytes(
        canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [image_entry, attestation]}), OCI_INDEX
    )
    image_index["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    out.finish(canonical({"schemaVersion": 2, "manifests": [image_index]}))
    print(image_index["digest"])
    print(image["digest"])
    print(attestation["digest"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
