#!/usr/bin/env python3
"""check-layout.py LAYOUT — verify an OCI image layout independently of ocislim.

Checks, reporting every problem found (not just the first):
  * ``oci-layout`` exists and names imageLayoutVersion 1.0.0; ``index.json`` is an index.
  * every file under ``blobs/<algorithm>/`` hashes to its own file name (sha256, sha512);
  * every descriptor reachable from index.json (nested indexes, manifests, configs,
    layers) points at an existing blob whose size and digest match the descriptor,
    and JSON documents carry the media type their descriptor announces;
  * every image config's ``rootfs.diff_ids[i]`` is the sha256 of layer i decompressed
    (by media type: plain tar, gzip via Python's gzip, zstd via the ``zstandard`` module or
    the ``zstd`` binary), the compressed bytes start with the right magic, and each layer
    parses as a tar stream to its end.
Unreferenced blobs are listed as notes, not errors (the spec allows them).

Exit status 0 when the layout is valid, 1 otherwise, 2 on bad usage.
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

CHUNK = 1 << 20

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
CONFIG_TYPES = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
}
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def layer_compression(media_type):
    """'gzip', 'zstd', 'plain' or None (not a layer type we know)."""
    base = media_type.replace(".nondistributable", "")
    if base in ("application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"):
        return "gzip"
    if base == "application/vnd.oci.image.layer.v1.tar+zstd":
        return "zstd"
    if base in ("application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar"):
        return "plain"
    return None


class HashingReader:
    """A read-only file object that hashes everything read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, n=-1):
        data = self.raw.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data

    def drain(self):
        while self.read(CHUNK):
            pass


class Checker:
    def __init__(self, layout, parse_tar=True):
        self.layout = layout
        self.parse_tar = parse_tar
        self.errors = []
        self.notes = []
        self.referenced = set()
        self.blob_ok = {}  # digest -> size of blobs whose content matches their name
        self.checked_layers = {}  # digest -> diff_id (or None on failure)
        self.counts = {"blobs": 0, "indexes": 0, "manifests": 0, "configs": 0, "layers": 0}

    def error(self, msg):
        self.errors.append(msg)

    # -- blobs ----------------------------------------------------------------------
    def blob_path(self, digest):
        algorithm, _, hexpart = digest.partition(":")
        return os.path.join(self.layout, "blobs", algorithm, hexpart)

    def check_blobs(self):
        root = os.path.join(self.layout, "blobs")
        if not os.path.isdir(root):
            self.error("missing blobs/ directory")
            return
        for algorithm in sorted(os.listdir(root)):
            adir = os.path.join(root, algorithm)
            if not os.path.isdir(adir):
                self.error("blobs/%s is not a directory" % algorithm)
                continue
            if algorithm not in ("sha256", "sha512"):
                self.error("blobs/%s: unsupported digest algorithm" % algorithm)
                continue
            for name in sorted(os.listdir(adir)):
                path = os.path.join(adir, name)
                if not os.path.isfile(path) or os.path.islink(path):
                    self.error("blobs/%s/%s is not a regular file" % (algorithm, name))
                    continue
                self.counts["blobs"] += 1
                h = hashlib.new(algorithm)
                size = 0
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(CHUNK), b""):
                        h.update(chunk)
                        size += len(chunk)
                if h.hexdigest() != name:
                    self.error("blobs/%s/%s: content hashes to %s" % (algorithm, name, h.hexdigest()))
                else:
                    self.blob_ok["%s:%s" % (algorithm, name)] = size

    # -- descriptors ----------------------------------------------------------------
    def check_descriptor(self, desc, where):
        """Size/digest of DESC against its blob; returns the blob path or None."""
        if not isinstance(desc, dict):
            self.error("%s: descriptor is not an object" % where)
            return None
        digest, size, media_type = desc.get("digest"), desc.get("size"), desc.get("mediaType")
        if not isinstance(digest, str) or ":" not in digest:
            self.error("%s: bad digest %r" % (where, digest))
            return None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            self.error("%s: bad size %r" % (where, size))
        if not isinstance(media_type, str) or not media_type:
            self.error("%s: missing mediaType" % where)
        self.referenced.add(digest)
        path = self.blob_path(digest)
        if not os.path.isfile(path):
            if desc.get("urls"):
                self.notes.append("%s: %s absent (has urls)" % (where, digest))
            else:
                self.error("%s: blob %s missing" % (where, digest))
            return None
        if digest not in self.blob_ok:
            self.error("%s: blob %s does not match its digest" % (where, digest))
            return None
        if self.blob_ok[digest] != size:
            self.error("%s: size %r but blob %s has %d bytes" % (where, size, digest, self.blob_ok[digest]))
        return path

    def load_json(self, path, where, expect_media_type=None):
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            self.error("%s: not valid JSON: %s" % (where, exc))
            return None
        if not isinstance(doc, dict):
            self.error("%s: JSON is not an object" % where)
            return None
        embedded = doc.get("mediaType")
        if expect_media_type and embedded is not None and embedded != expect_media_type:
            self.error("%s: document mediaType %s but descriptor says %s" % (where, embedded, expect_media_type))
        return doc

    def check_index(self, doc, where):
        self.counts["indexes"] += 1
        if doc.get("schemaVersion") != 2:
            self.error("%s: schemaVersion %r, want 2" % (where, doc.get("schemaVersion")))
        manifests = doc.get("manifests")
        if not isinstance(manifests, list):
            self.error("%s: manifests is not a list" % where)
            return
        for i, desc in enumerate(manifests):
            self.check_any(desc, "%s.manifests[%d]" % (where, i))

    def check_any(self, desc, where):
        path = self.check_descriptor(desc, where)
        if path is None:
            return
        media_type = desc.get("mediaType")
        if media_type in INDEX_TYPES:
            doc = self.load_json(path, where, media_type)
            if doc is not None:
                self.check_index(doc, "%s(%s)" % (where, short(desc["digest"])))
        elif media_type in MANIFEST_TYPES:
            doc = self.load_json(path, where, media_type)
            if doc is not None:
                self.check_manifest(doc, "%s(%s)" % (where, short(desc["digest"])))
        else:
            self.notes.append("%s: not descending into %s" % (where, media_type))

    def check_manifest(self, doc, where):
        self.counts["manifests"] += 1
        if doc.get("schemaVersion") != 2:
            self.error("%s: schemaVersion %r, want 2" % (where, doc.get("schemaVersion")))
        config_desc = doc.get("config")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            self.error("%s: layers is not a list" % where)
            layers = []
        config = None
        config_path = self.check_descriptor(config_desc, where + ".config")
        if config_path is not None:
            media_type = config_desc.get("mediaType")
            if media_type in CONFIG_TYPES:
                self.counts["configs"] += 1
                config = self.load_json(config_path, where + ".config")
            else:
                self.notes.append("%s.config: artifact config %s, diff_ids not checked" % (where, media_type))
        diff_ids = None
        if config is not None:
            rootfs = config.get("rootfs") or {}
            if rootfs.get("type") != "layers":
                self.error("%s.config: rootfs.type %r, want 'layers'" % (where, rootfs.get("type")))
            diff_ids = rootfs.get("diff_ids")
            if not isinstance(diff_ids, list):
                self.error("%s.config: rootfs.diff_ids is not a list" % where)
                diff_ids = None
            elif len(diff_ids) != len(layers):
                self.error("%s: %d layers but %d diff_ids" % (where, len(layers), len(diff_ids)))
        for i, desc in enumerate(layers):
            lwhere = "%s.layers[%d]" % (where, i)
            path = self.check_descriptor(desc, lwhere)
            if path is None:
                continue
            self.counts["layers"] += 1
            diff_id = self.layer_diff_id(path, desc.get("mediaType", ""), desc["digest"], lwhere)
            if diff_id is None or diff_ids is None or i >= len(diff_ids):
                continue
            if diff_ids[i] != diff_id:
                self.error("%s: diff_ids[%d] is %s but the uncompressed layer hashes to %s"
                           % (where, i, diff_ids[i], diff_id))

    # -- layers ---------------------------------------------------------------------
    def layer_diff_id(self, path, media_type, digest, where):
        if digest in self.checked_layers:
            return self.checked_layers[digest]
        result = None
        compression = layer_compression(media_type)
        if compression is None:
            self.notes.append("%s: unknown layer media type %s, not decompressed" % (where, media_type))
        else:
            try:
                result = self.read_layer(path, compression, where)
            except (OSError, EOFError, tarfile.TarError, ValueError, RuntimeError) as exc:
                self.error("%s: cannot read %s layer: %s: %s" % (where, compression, type(exc).__name__, exc))
        self.checked_layers[digest] = result
        return result

    def read_layer(self, path, compression, where):
        with open(path, "rb") as f:
            head = f.read(4)
        if compression == "gzip" and not head.startswith(GZIP_MAGIC):
            raise ValueError("media type says gzip but data starts with %s" % head.hex())
        if compression == "zstd" and head != ZSTD_MAGIC:
            raise ValueError("media type says zstd but data starts with %s" % head.hex())
        if compression == "plain" and (head.startswith(GZIP_MAGIC) or head == ZSTD_MAGIC):
            raise ValueError("media type says uncompressed tar but data is compressed")

        proc = None
        raw = open(path, "rb")
        try:
            if compression == "gzip":
                stream = gzip.GzipFile(fileobj=raw, mode="rb")
            elif compression == "zstd":
                try:
                    import zstandard  # optional; the zstd binary is the fallback
                    stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
                except ImportError:
                    zstd = shutil.which("zstd")
                    if zstd is None:
                        raise RuntimeError("neither the zstandard module nor the zstd binary is available")
                    proc = subprocess.Popen([zstd, "-dc", "-q"], stdin=raw, stdout=subprocess.PIPE)
                    stream = proc.stdout
            else:
                stream = raw
            reader = HashingReader(stream)
            if self.parse_tar:
                entries = 0
                with tarfile.open(fileobj=reader, mode="r|", format=tarfile.PAX_FORMAT) as tar:
                    for _ in tar:
                        entries += 1
            reader.drain()
            if proc is not None:
                proc.stdout.close()
                if proc.wait() != 0:
                    raise RuntimeError("zstd -dc exited with %d" % proc.returncode)
                proc = None
        finally:
            if proc is not None:
                proc.kill()
                proc.wait()
            raw.close()
        return "sha256:" + reader.hash.hexdigest()

    # -- top level ------------------------------------------------------------------
    def run(self):
        layout_file = os.path.join(self.layout, "oci-layout")
        if not os.path.isfile(layout_file):
            self.error("missing oci-layout file")
        else:
            doc = self.load_json(layout_file, "oci-layout")
            if doc is not None and doc.get("imageLayoutVersion") != "1.0.0":
                self.error("oci-layout: imageLayoutVersion %r, want '1.0.0'" % doc.get("imageLayoutVersion"))
        self.check_blobs()
        index_file = os.path.join(self.layout, "index.json")
        if not os.path.isfile(index_file):
            self.error("missing index.json")
        else:
            doc = self.load_json(index_file, "index.json", "application/vnd.oci.image.index.v1+json")
            if doc is not None:
                self.check_index(doc, "index.json")
        for digest in sorted(set(self.blob_ok) - self.referenced):
            self.notes.append("unreferenced blob %s" % digest)
        return not self.errors


def short(digest):
    return digest.partition(":")[2][:12]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("layout", help="OCI image layout directory")
    parser.add_argument("--no-tar", action="store_true", help="hash layers without parsing them as tar")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    args = parser.parse_args()
    if not os.path.isdir(args.layout):
        print("check-layout: %s: not a directory" % args.layout, file=sys.stderr)
        return 2
    checker = Checker(args.layout, parse_tar=not args.no_tar)
    ok = checker.run()
    if not args.quiet:
        for note in checker.notes:
            print("check-layout: note: %s" % note)
    for err in checker.errors:
        print("check-layout: ERROR: %s" % err)
    counts = ", ".join("%d %s" % (v, k) for k, v in checker.counts.items())
    print("check-layout: %s: %s (%s)" % (args.layout, "OK" if ok else "%d errors" % len(checker.errors), counts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
