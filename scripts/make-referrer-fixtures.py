#!/usr/bin/env python3
"""Writes the small OCI layouts under testdata/referrers/: images with the objects that refer to them.

usage: make-referrer-fixtures.py [OUTDIR]   (default: testdata/referrers beside this script's parent)

Each layout holds a tiny synthetic image whose Python tree `ocislim rewrite` changes (a python3 symlink and a module
with identical plain and optimized bytecode, which dedup hardlinks), plus referrers shaped as each tool writes them:

  buildkit/   an image index (the shape `docker buildx build --output type=oci` writes) with a BuildKit attestation
              manifest: platform unknown/unknown, annotations vnd.docker.reference.type attestation-manifest and
              vnd.docker.reference.digest, in-toto layers (a SLSA provenance and an SPDX SBOM statement).
              https://github.com/moby/buildkit/blob/master/docs/attestations/attestation-storage.md
  cosign/     cosign's tag fallback (sha256-<hex>.sig / .att / .sbom in index.json) and a sigstore bundle referrer,
              for a Python image and for a second image without Python (which ocislim leaves unchanged).
              https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
              https://github.com/sigstore/cosign/blob/main/specs/ATTESTATION_SPEC.md
              https://github.com/sigstore/cosign/blob/main/specs/BUNDLE_SPEC.md (bundle v0.3 as an OCI 1.1 referrer)
  notation/   a notation signature: artifactType application/vnd.cncf.notary.signature, a JWS layer, the empty
              config, a subject.
              https://github.com/notaryproject/specs/blob/main/specs/signature-specification.md
  nested/     OCI 1.1 referrers inside a nested index, listed before their subject: an unsigned in-toto attestation
              and an artifact of a type no tool here knows.
              https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md (subject, artifactType)
  loose/      an image whose attestation and signature referrers are only loose blobs (listed nowhere), as a registry
              mirror or `oras copy` can leave them; `ocislim rewrite --scan-blobs` finds them. Beside them, the
              signature of an image the layout no longer holds, which is not this image's.

Signatures carry made-up bytes (nothing here verifies them); every document is deterministic, so running the script
again writes the same bytes.
"""
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
IN_TOTO = "application/vnd.in-toto+json"
REF_NAME = "org.opencontainers.image.ref.name"
CREATED = "2026-01-01T00:00:00Z"


class Layout:
    """An OCI layout being written: blobs by digest, and the entries of index.json."""

    def __init__(self, root: str):
        self.root = root
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "blobs", "sha256"))
        with open(os.path.join(root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        self.entries = []

    def blob(self, content: bytes, media_type: str, **extra) -> dict:
        digest = hashlib.sha256(content).hexdigest()
        with open(os.path.join(self.root, "blobs", "sha256", digest), "wb") as f:
            f.write(content)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(content), **extra}

    def document(self, value: dict, media_type: str, **extra) -> dict:
        return self.blob(compact(value), media_type, **extra)

    def finish(self) -> None:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.entries}
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(compact(index))


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def hex_of(descriptor: dict) -> str:
    return descriptor["digest"].removeprefix("sha256:")


def descriptor(d: dict) -> dict:
    """A descriptor with only the three required fields (what a subject names)."""
    return {"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"]}


def layer_tar(python: bool, name: str) -> bytes:
    """A tiny filesystem layer. With `python`: a python3 symlink and a module whose plain and opt-1 bytecode are the
    same bytes (CPython 3.11's magic, then a made-up body), so dedup hardlinks one to the other."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:

        def add(path, data=b"", kind=tarfile.REGTYPE, target=""):
            info = tarfile.TarInfo(path)
            info.type, info.mtime, info.mode, info.linkname = kind, 1700000000, 0o644, target
            if kind == tarfile.DIRTYPE:
                info.mode = 0o755
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)

        add("etc/", kind=tarfile.DIRTYPE)
        add("etc/hostname", name.encode() + b"\n")
        if python:
            pyc = b"\xa7\x0d\x0d\x0a" + bytes(12) + bytes(range(256)) * 300  # over the CLI's 64 KiB minimum saving
            add("usr/", kind=tarfile.DIRTYPE)
            add("usr/bin/", kind=tarfile.DIRTYPE)
            add("usr/bin/python3", kind=tarfile.SYMTYPE, target="python3.11")
            add("usr/lib/", kind=tarfile.DIRTYPE)
            add("usr/lib/python3.11/", kind=tarfile.DIRTYPE)
            add("usr/lib/python3.11/m.py", b"X = 1\n")
            add("usr/lib/python3.11/__pycache__/", kind=tarfile.DIRTYPE)
            add("usr/lib/python3.11/__pycache__/m.cpython-311.pyc", pyc)
            add("usr/lib/python3.11/__pycache__/m.cpython-311.opt-1.pyc", pyc)
    return out.getvalue()


def image(layout: Layout, name: str, python: bool = True) -> dict:
    """Writes a one-layer linux/amd64 image; returns its manifest's descriptor (with its platform)."""
    tar = layer_tar(python, name)
    layer = layout.blob(gzip.compress(tar, compresslevel=9, mtime=0), OCI_LAYER_GZIP)
    config = layout.document(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
        },
        OCI_CONFIG,
    )
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}
    return layout.document(manifest, OCI_MANIFEST, platform={"architecture": "amd64", "os": "linux"})


def statement(subject: dict, name: str, predicate_type: str, predicate: dict) -> bytes:
    """An in-toto v0.1 statement as BuildKit writes it: indented, fields in its order (not sorted), so a tool that
    re-encodes the document instead of patching its subject changes the predicate's bytes."""
    value = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": name, "digest": {"sha256": hex_of(subject)}}],
        "predicate": predicate,
    }
    return json.dumps(value, indent=2).encode() + b"\n"


PROVENANCE = {
    "builder": {"id": ""},
    "buildType": "https://mobyproject.org/buildkit@v1",
    "materials": [{"uri": "pkg:docker/debian@bookworm-slim?platform=linux%2Famd64", "digest": {"sha256": "0" * 64}}],
    "invocation": {"configSource": {"entryPoint": "Dockerfile"}, "parameters": {"frontend": "dockerfile.v0"}},
    "metadata": {"buildStartedOn": CREATED, "reproducible": False, "completeness": {"materials": False}},
}
SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "sbom",
    "creationInfo": {"created": CREATED, "creators": ["Tool: buildkit-syft-scanner"]},
    "packages": [{"name": "python3.11", "SPDXID": "SPDXRef-Package-python", "versionInfo": "3.11.2-6"}],
}


def attestation_manifest(layout: Layout, subject: dict, name: str) -> dict:
    """A BuildKit attestation manifest for `subject`, as its index lists it (attestation-storage.md)."""
    layers = []
    for predicate_type, predicate in (("https://slsa.dev/provenance/v0.2", PROVENANCE), ("https://spdx.dev/Document", SPDX)):
        data = statement(subject, name, predicate_type, predicate)
        layers.append(layout.blob(data, IN_TOTO, annotations={"in-toto.io/predicate-type": predicate_type}))
    config = layout.document(
        {
            "architecture": "unknown",
            "os": "unknown",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
        },
        OCI_CONFIG,
    )
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}
    return layout.document(
        manifest,
        OCI_MANIFEST,
        annotations={
            "vnd.docker.reference.digest": subject["digest"],
            "vnd.docker.reference.type": "attestation-manifest",
        },
        platform={"architecture": "unknown", "os": "unknown"},
    )


def empty_config(layout: Layout) -> dict:
    """The OCI empty descriptor (image-spec manifest.md, "Guidance for an Empty Descriptor")."""
    return layout.blob(b"{}", OCI_EMPTY, data=base64.b64encode(b"{}").decode())


def referrer(layout: Layout, subject: dict, artifact_type: str, layers: list, config: dict | None = None,
             annotations: dict | None = None) -> dict:
    """An OCI 1.1 referrer manifest (artifactType, subject) and its descriptor as an index lists it."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config or empty_config(layout),
        "layers": layers,
        "subject": descriptor(subject),
        "annotations": {"org.opencontainers.image.created": CREATED, **(annotations or {})},
    }
    return layout.document(manifest, OCI_MANIFEST, artifactType=artifact_type,
                           annotations={"org.opencontainers.image.created": CREATED})


def cosign_config(layout: Layout, layers: list) -> dict:
    """The config cosign's tag-fallback manifests carry: an image config whose diff_ids are its layers."""
    return layout.document(
        {
            "architecture": "",
            "created": "0001-01-01T00:00:00Z",
            "history": [{"created": "0001-01-01T00:00:00Z"}],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
            "config": {},
        },
        OCI_CONFIG,
    )


def cosign_tag(layout: Layout, subject: dict, suffix: str, layers: list) -> None:
    """A cosign tag-fallback manifest, listed in index.json as sha256-<subject hex>.<suffix>."""
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cosign_config(layout, layers),
                "layers": layers}
    tag = f"sha256-{hex_of(subject)}.{suffix}"
    layout.entries.append(layout.document(manifest, OCI_MANIFEST, annotations={REF_NAME: tag}))


def cosign_signature(layout: Layout, subject: dict, name: str) -> None:
    """`cosign sign` without referrers: a simple-signing payload naming the subject, its signature in an annotation."""
    payload = compact({
        "critical": {
            "identity": {"docker-reference": "registry.example/" + name},
            "image": {"docker-manifest-digest": subject["digest"]},
            "type": "cosign container image signature",
        },
        "optional": None,
    })
    layer = layout.blob(payload, "application/vnd.dev.cosign.simplesigning.v1+json",
                        annotations={"dev.cosignproject.cosign/signature": "MEUCIQDmadeupsignature=="})
    cosign_tag(layout, subject, "sig", [layer])


def cosign_attestation(layout: Layout, subject: dict, name: str) -> None:
    """`cosign attest`: a DSSE envelope (signed) around an in-toto statement."""
    inner = statement(subject, "registry.example/" + name, "https://slsa.dev/provenance/v0.2", PROVENANCE)
    envelope = compact({
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64.b64encode(inner).decode(),
        "signatures": [{"keyid": "", "sig": "MEUCIQDmadeupsignature=="}],
    })
    layer = layout.blob(envelope, "application/vnd.dsse.envelope.v1+json",
                        annotations={"predicateType": "https://slsa.dev/provenance/v0.2"})
    cosign_tag(layout, subject, "att", [layer])


def cosign_sbom(layout: Layout, subject: dict) -> None:
    """`cosign attach sbom`: the SBOM itself, unsigned."""
    layer = layout.blob(compact(SPDX), "application/spdx+json")
    cosign_tag(layout, subject, "sbom", [layer])


def sigstore_bundle(layout: Layout, subject: dict) -> dict:
    """`cosign sign --new-bundle-format`: a sigstore bundle v0.3 stored as an OCI 1.1 referrer."""
    media_type = "application/vnd.dev.sigstore.bundle.v0.3+json"
    bundle = compact({
        "mediaType": media_type,
        "verificationMaterial": {"publicKey": {"hint": "madeup"}},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(bytes.fromhex(hex_of(subject))).decode()},
            "signature": "MEUCIQDmadeupsignature==",
        },
    })
    layer = layout.blob(bundle, media_type)
    return referrer(layout, subject, media_type, [layer], annotations={
        "dev.sigstore.bundle.content": "message-signature",
        "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
    })


def notation_signature(layout: Layout, subject: dict) -> dict:
    """`notation sign`: a JWS envelope whose payload names the subject (targetArtifact)."""
    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    payload = compact({"targetArtifact": descriptor(subject)})
    protected = compact({
        "alg": "PS256",
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": CREATED,
    })
    envelope = compact({
        "payload": b64url(payload),
        "protected": b64url(protected),
        "header": {"x5c": [b64url(b"made-up certificate")]},
        "signature": b64url(b"made-up signature"),
    })
    thumbprint = '["' + "1" * 64 + '"]'
    layer = layout.blob(envelope, "application/jose+json")
    return referrer(layout, subject, "application/vnd.cncf.notary.signature", [layer],
                    annotations={"io.cncf.notary.x509chain.thumbprint#S256": thumbprint})


def in_toto_referrer(layout: Layout, subject: dict, name: str, namespace: bool = False) -> dict:
    """An unsigned in-toto statement attached as an OCI 1.1 referrer (as `oras attach` or `regctl` write it). Its
    predicate comes before its subject; with `namespace` it names the image digest too (an SBOM's documentNamespace,
    as syft writes it): relinking changes the subject only, never the predicate."""
    predicate = SPDX
    if namespace:
        predicate = {**SPDX, "documentNamespace": f"https://anchore.com/syft/image/{name}@{subject['digest']}"}
    value = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "predicate": predicate,
        "subject": [{"name": name, "digest": {"sha256": hex_of(subject)}}],
    }
    data = json.dumps(value, indent=2).encode() + b"\n"
    layer = layout.blob(data, IN_TOTO, annotations={"in-toto.io/predicate-type": "https://spdx.dev/Document"})
    return referrer(layout, subject, IN_TOTO, [layer])


def unknown_referrer(layout: Layout, subject: dict) -> dict:
    """An artifact of a type no tool here knows, attached to the image."""
    layer = layout.blob(b"scan results\n", "application/vnd.example.scan.v1+text")
    return referrer(layout, subject, "application/vnd.example.scan.v1", [layer])


def nested_index(layout: Layout, children: list, name: str) -> None:
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}
    layout.entries.append(layout.document(index, OCI_INDEX, annotations={REF_NAME: name}))


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "testdata", "referrers")

    layout = Layout(os.path.join(out, "buildkit"))
    app = image(layout, "app")
    nested_index(layout, [app, attestation_manifest(layout, app, "pkg:docker/app@latest?platform=linux%2Famd64")],
                 "latest")
    layout.finish()

    layout = Layout(os.path.join(out, "cosign"))
    app = image(layout, "app")
    static = image(layout, "static", python=False)
    layout.entries += [{**app, "annotations": {REF_NAME: "app"}}, {**static, "annotations": {REF_NAME: "static"}}]
    cosign_signature(layout, app, "app")
    cosign_attestation(layout, app, "app")
    cosign_sbom(layout, app)
    cosign_signature(layout, static, "static")
    layout.entries.append(sigstore_bundle(layout, app))
    layout.finish()

    layout = Layout(os.path.join(out, "notation"))
    app = image(layout, "app")
    layout.entries += [{**app, "annotations": {REF_NAME: "app"}}, notation_signature(layout, app)]
    layout.finish()

    layout = Layout(os.path.join(out, "nested"))
    app = image(layout, "app")
    nested_index(layout, [in_toto_referrer(layout, app, "app", namespace=True), app, unknown_referrer(layout, app)],
                 "latest")
    layout.finish()

    layout = Layout(os.path.join(out, "loose"))
    app = image(layout, "app")
    layout.entries.append({**app, "annotations": {REF_NAME: "app"}})
    in_toto_referrer(layout, app, "app")
    sigstore_bundle(layout, app)
    # The signature of an image no longer in the layout (garbage a layout kept): not a referrer of this image.
    sigstore_bundle(layout, {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "e" * 64, "size": 1234})
    layout.finish()


if __name__ == "__main__":
    main()
