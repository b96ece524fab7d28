#!/usr/bin/env python3
"""A plain peer of `ocislim rewrite --strategy drop-bytecode`: Python's tarfile and gzip modules, nothing clever.

usage: peer-tarfile-filter.py INPUT_LAYOUT OUTPUT_LAYOUT

For every image manifest named in INPUT's index.json, each gzip layer is streamed through tarfile and the `.pyc`
files inside `__pycache__` directories are dropped (with any hardlink to one of them; whiteouts are kept). A layer
that lost something is written as a new tar (pax format, entries re-encoded by tarfile) compressed by Python's gzip
module at level 6 (mtime 0); a layer that lost nothing is copied as it was. The config gets the new diff_ids, the
manifest the new layer and config descriptors, index.json the new manifest descriptors. Unlike ocislim it adds no
`__dont_write_bytecode__` markers and no PYTHONDONTWRITEBYTECODE, and it does not look at the layers together:
this is the script a person would write in an afternoon. scripts/bench.py times it against ocislim.

Prints one JSON object on standard output: files dropped and layers rewritten.
"""
import gzip
import hashlib
import json
import os
import posixpath
import shutil
import sys
import tarfile

GZIP_LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}


class HashingWriter:
    """A write-only file object that passes bytes on and keeps their SHA-256 and count."""

    def __init__(self, target):
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.target.write(data)

    def flush(self) -> None:
        self.target.flush()

    def digest(self) -> str:
        return "sha256:" + self.sha256.hexdigest()


def is_bytecode(member: tarfile.TarInfo) -> bool:
    """A cached `.pyc` in a `__pycache__` directory, as drop-bytecode removes it; whiteouts are not bytecode."""
    directory, name = posixpath.split(member.name.rstrip("/"))
    return (member.isreg() or member.islnk()) and name.endswith(".pyc") and not name.startswith(".wh.") \
        and posixpath.basename(directory) == "__pycache__"


def blob_path(layout: str, digest: str) -> str:
    algorithm, encoded = digest.split(":", 1)
    return os.path.join(layout, "blobs", algorithm, encoded)


def read_json_blob(layout: str, digest: str) -> dict:
    with open(blob_path(layout, digest), "rb") as f:
        return json.load(f)


def write_json_blob(layout: str, document: dict) -> tuple[str, int]:
    data = json.dumps(document, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as f:
        f.write(data)
    return digest, len(data)


def copy_blob(source: str, target: str, digest: str) -> None:
    if not os.path.exists(blob_path(target, digest)):
        shutil.copyfile(blob_path(source, digest), blob_path(target, digest))


def filter_layer(source: str, target: str, layer: dict) -> tuple[dict, str | None, int]:
    """Returns the layer's new descriptor, its new diff_id (None when unchanged) and the files dropped."""
    temporary = os.path.join(target, "blobs", "layer.tmp")
    dropped_names = set()
    with tarfile.open(blob_path(source, layer["digest"]), mode="r|gz") as tar_in, open(temporary, "wb") as raw_out:
        blob = HashingWriter(raw_out)
        with gzip.GzipFile(fileobj=blob, mode="wb", compresslevel=6, mtime=0) as gzip_out:
            tar_bytes = HashingWriter(gzip_out)
            with tarfile.open(fileobj=tar_bytes, mode="w|", format=tarfile.PAX_FORMAT) as tar_out:
                for member in tar_in:
                    if is_bytecode(member) or (member.islnk() and member.linkname in dropped_names):
                        dropped_names.add(member.name)
                        continue
                    tar_out.addfile(member, tar_in.extractfile(member) if member.isreg() else None)
    if not dropped_names:
        os.remove(temporary)
        copy_blob(source, target, layer["digest"])
        return layer, None, 0
    os.rename(temporary, blob_path(target, blob.digest()))
    return dict(layer, digest=blob.digest(), size=blob.size), tar_bytes.digest(), len(dropped_names)


def filter_image(source: str, target: str, descriptor: dict, summary: dict) -> dict:
    """Rewrites one image manifest and its config; returns the manifest's new descriptor."""
    if descriptor["mediaType"] not in MANIFEST_TYPES:
        raise SystemExit(f"peer-tarfile-filter: unsupported manifest media type {descriptor['mediaType']}")
    manifest = read_json_blob(source, descriptor["digest"])
    config = read_json_blob(source, manifest["config"]["digest"])
    layers = []
    for position, layer in enumerate(manifest["layers"]):
        if layer["mediaType"] not in GZIP_LAYER_TYPES:
            raise SystemExit(f"peer-tarfile-filter: unsupported layer media type {layer['mediaType']}")
        new_layer, diff_id, dropped = filter_layer(source, target, layer)
        print(f"peer-tarfile-filter: layer {position}: {dropped} files dropped", file=sys.stderr)
        if diff_id is not None:
            config["rootfs"]["diff_ids"][position] = diff_id
            summary["layers_rewritten"] += 1
            summary["files_dropped"] += dropped
        layers.append(new_layer)
    config_digest, config_size = write_json_blob(target, config)
    manifest["config"] = dict(manifest["config"], digest=config_digest, size=config_size)
    manifest["layers"] = layers
    manifest_digest, manifest_size = write_json_blob(target, manifest)
    return dict(descriptor, digest=manifest_digest, size=manifest_size)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: peer-tarfile-filter.py INPUT_LAYOUT OUTPUT_LAYOUT")
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(target, "blobs", "sha256"))
    with open(os.path.join(source, "index.json"), "rb") as f:
        index = json.load(f)
    summary = {"files_dropped": 0, "layers_rewritten": 0}
    index["manifests"] = [filter_image(source, target, descriptor, summary) for descriptor in index["manifests"]]
    shutil.copyfile(os.path.join(source, "oci-layout"), os.path.join(target, "oci-layout"))
    with open(os.path.join(target, "index.json"), "w") as f:
        json.dump(index, f, separators=(",", ":"))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
