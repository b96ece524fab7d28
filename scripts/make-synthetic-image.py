#!/usr/bin/env python3
"""Writes an OCI image layout with one large synthetic gzip layer, for memory and speed measurements.

usage: make-synthetic-image.py SIZE_MIB OUTDIR

The layer holds a Python tree with plain and optimized bytecode (so every strategy rewrites it) and SIZE_MIB of
1 MiB data files, half compressible text, half pseudo-random bytes. Deterministic: same size, same digests.
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile


def main() -> None:
    size_mib, outdir = int(sys.argv[1]), sys.argv[2]
    if os.path.exists(os.path.join(outdir, "index.json")):
        return
    staging = outdir + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    blobs = os.path.join(staging, "blobs", "sha256")
    os.makedirs(blobs)
    rng = random.Random(1)
    layer_tmp = os.path.join(staging, "layer.tmp")
    tar_hash = hashlib.sha256()

    class HashingWriter(io.RawIOBase):
        def __init__(self, target):
            self.target = target

        def writable(self):
            return True

        def write(self, data):
            tar_hash.update(data)
            return self.target.write(data)

    with open(layer_tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=HashingWriter(gz), mode="w|", format=tarfile.PAX_FORMAT) as tar:
            def add(name, data, mtime=1700000000):
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(data), mtime, 0o644
                tar.addfile(info, io.BytesIO(data))

            pyc = b"\xa7\x0d\x0d\x0a" + bytes(12) + bytes(rng.getrandbits(8) for _ in range(4000))
            for i in range(200):
                base = f"usr/lib/python3.11/pkg{i // 50}/__pycache__/m{i}.cpython-311"
                add(base + ".pyc", pyc)
                add(base + ".opt-1.pyc", pyc)
                add(base + ".opt-2.pyc", pyc[:3000])
            text = (b"The quick brown fox jumps over the lazy dog. " * 24000)[: 1 << 20]
            for i in range(size_mib):
                data = text if i % 2 == 0 else rng.randbytes(1 << 20)
                add(f"srv/data/file{i:05d}.bin", data)
    layer_digest = sha256_file(layer_tmp)
    os.rename(layer_tmp, os.path.join(blobs, layer_digest))
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + tar_hash.hexdigest()]},
    }).encode()
    config_digest = write_blob(blobs, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config_digest,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layer_digest,
                    "size": os.path.getsize(os.path.join(blobs, layer_digest))}],
    }).encode()
    manifest_digest = write_blob(blobs, manifest)
    with open(os.path.join(staging, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(staging, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manifest_digest,
            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
    shutil.rmtree(outdir, ignore_errors=True)
    os.rename(staging, outdir)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_blob(blobs: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return digest


if __name__ == "__main__":
    main()
