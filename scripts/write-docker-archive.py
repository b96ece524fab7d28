#!/usr/bin/env python3
"""write-docker-archive.py — write image archives the way other tools write them, for ocislim's fixtures.

Usage:
    write-docker-archive.py docker25 SRC_LAYOUT OUT.tar [--ref REF] [--tag NAME:TAG] [--now EPOCH]
    write-docker-archive.py crane SRC_LAYOUT OUT.tar [--ref REF] [--tag NAME:TAG]
    write-docker-archive.py multiplatform-oci-archive SRC_LAYOUT OUT.tar [--ref REF]
    write-docker-archive.py retar-dotslash IN.tar OUT.tar [--seed N]

SRC_LAYOUT is an OCI image layout; REF (default "latest") picks the image whose
org.opencontainers.image.ref.name is REF. Reads only; OUT is written to OUT.tmp and renamed.

docker25 — `docker save` of Docker 25+ with the classic (graphdriver) image store, following moby
v28.5.2 (commit 89c5e8fd66634b6128fc4c0e6f1236e2540e46e0), the last 25+ tag in the mirror:
  * image/tarexport/save.go       saveSession.save / saveImage / saveConfigAndLayer / saveConfig:
    per layer a legacy v1 JSON blob (image.V1Image marshalled; its ID from image/v1/imagev1.go
    CreateID over the chain ID and the parent v1 ID; the top layer carries the image's V1Image,
    lower ones only created=1970-01-01 and os), the uncompressed layer named by its diffID, then
    the config (RawJSON) and an OCI manifest (config mediaType application/vnd.oci.image.config.v1+json,
    layers application/vnd.oci.image.layer.v1.tar named by diffID: on Linux a layer is not
    distribution.Describable, so every layer gets a descriptor and a LayerSources entry);
    repositories (json.Encoder: FamiliarName -> tag -> top diffID hex, trailing newline);
    manifest.json (json.Encoder of []manifestItem from image/tarexport/tarexport.go: Config,
    RepoTags, Layers = blobs/sha256/<hex>, LayerSources; trailing newline); oci-layout
    (`{"imageLayoutVersion": "1.0.0"}`); index.json (json.Marshal of an ocispec.Index with
    mediaType, one descriptor per tag annotated io.containerd.image.name = full name and
    org.opencontainers.image.ref.name = tag; no trailing newline).
  * mtimes exactly as save.go's Chtimes calls leave them: layers, v1 JSONs, config and blobs/ at
    the image's created time; the manifest blob, index.json, manifest.json, oci-layout and
    repositories at 0; blobs/sha256/ at the time the manifest blob was written (save.go sets it to
    0 and then writes the manifest into it: the one clock-dependent value, given here by --now,
    default SOURCE_DATE_EPOCH or 0). Files 0644, directories 0755 (dockerd's umask 022).
  * the tar from github.com/moby/go-archive v0.1.0 (commit 9ec1e6e329273f4a3f0a445d8c0fb73c9b16bbe5,
    vendored by v28.5.2) archive.go Tar → TarWithOptions: filepath.WalkDir of the temp dir
    (lexical order, source dir itself skipped), FileInfoHeader (format PAX, mtime truncated to
    seconds, no uname/gname, uid/gid 0 as dockerd runs as root, directories named "dir/");
    Go's archive/tar writes a ustar-magic header and no PAX record when none is needed, and ends
    with two zero blocks (no padding to a 10 KiB record).
docker25 JSON is produced with Go encoding/json's rules (struct field order, sorted map keys,
HTML-escaped <, >, &, no spaces).

crane — go-containerregistry v0.21.9 (commit 7b32099eb119a9fdd715d84ef18c088cbe434c7f)
pkg/v1/tarball/write.go MultiRefWrite → writeImagesToTar: the config as "sha256:<hex>", then each
distinct layer as its compressed blob "<hex>.tar.gz" (layerExtension of a gzip layer), then
manifest.json (json.Marshal of []tarball.Descriptor from pkg/v1/tarball/image.go: Config, RepoTags,
Layers; LayerSources empty and omitted; no trailing newline); writeTarEntry headers carry only
name, mode 0644, size and typeflag (Go writes mtime 0, uid/gid 0, ustar magic); RepoTags hold the
tag exactly as given (name.Tag.String() returns the original string).

multiplatform-oci-archive — an OCI archive (input for `ctr images import`, not a fixture) whose
index.json names an image index of two manifests: SRC's image as linux/amd64 and a tiny
linux/arm64/v8 image (one small layer). make-archive-fixtures.sh imports it into containerd and
exports it for the default platform, which gives the sparse containerd archive.

retar-dotslash — re-tar IN (any tar) as GNU tar-style "./NAME" members in a fixed-seed shuffled
order, with a "./" record and every directory record repeated, plus directory records for
parents that IN only implies; member contents, modes and link targets unchanged.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile
import tempfile
import zlib

BLOCK = 512


# ----------------------------------------------------------------------------------------------
# Go's archive/tar ustar header (what Writer.WriteHeader emits for these simple entries).

def _octal(value, width):
    """Go formatOctal: zero-padded octal digits filling width-1 bytes, then NUL."""
    digits = "%o" % value
    if len(digits) > width - 1:
        raise ValueError("value %d does not fit %d octal digits" % (value, width - 1))
    return digits.rjust(width - 1, "0").encode() + b"\0"


def _field(s, width):
    b = s.encode("utf-8")
    if len(b) > width:
        raise ValueError("name too long for a ustar header: %r" % s)
    return b + b"\0" * (width - len(b))


def go_ustar_header(name, size, mode, mtime, typeflag=b"0", linkname=""):
    h = bytearray()
    h += _field(name, 100)
    h += _octal(mode, 8)
    h += _octal(0, 8)          # uid
    h += _octal(0, 8)          # gid
    h += _octal(size, 12)
    h += _octal(mtime, 12)
    h += b" " * 8              # checksum placeholder
    h += typeflag
    h += _field(linkname, 100)
    h += b"ustar\x00" + b"00"
    h += _field("", 32)        # uname
    h += _field("", 32)        # gname
    h += _octal(0, 8)          # devmajor
    h += _octal(0, 8)          # devminor
    h += _field("", 155)       # prefix
    h += b"\0" * (BLOCK - len(h))
    chksum = sum(h)
    h[148:156] = _octal(chksum, 7) + b" "
    assert len(h) == BLOCK
    return bytes(h)


class GoTarWriter:
    def __init__(self, f):
        self.f = f

    def add_dir(self, name, mtime, mode=0o755):
        self.f.write(go_ustar_header(name.rstrip("/") + "/", 0, mode, mtime, b"5"))

    def add_bytes(self, name, data, mtime, mode=0o644):
        self.f.write(go_ustar_header(name, len(data), mode, mtime))
        self.f.write(data)
        self._pad(len(data))

    def add_file(self, name, path, mtime, mode=0o644):
        size = os.path.getsize(path)
        self.f.write(go_ustar_header(name, size, mode, mtime))
        with open(path, "rb") as src:
            shutil.copyfileobj(src, self.f, 1 << 20)
        self._pad(size)

    def _pad(self, n):
        if n % BLOCK:
            self.f.write(b"\0" * (BLOCK - n % BLOCK))

    def close(self):
        self.f.write(b"\0" * (2 * BLOCK))   # Go's Writer.Close: two zero blocks, no record padding


# ----------------------------------------------------------------------------------------------
# Go encoding/json.

def go_json(value):
    """json.Marshal's bytes for a value built from dicts in the Go struct's field order."""
    s = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(a, b)
    return s.encode("utf-8")


def sorted_map(m):
    return None if m is None else {k: m[k] for k in sorted(m)}


# api/types/container/config.go Config, in field order: (json name, omitempty, zero value, is map).
CONTAINER_CONFIG_FIELDS = [
    ("Hostname", False, "", False), ("Domainname", False, "", False), ("User", False, "", False),
    ("AttachStdin", False, False, False), ("AttachStdout", False, False, False), ("AttachStderr", False, False, False),
    ("ExposedPorts", True, None, True), ("Tty", False, False, False), ("OpenStdin", False, False, False),
    ("StdinOnce", False, False, False), ("Env", False, None, False), ("Cmd", False, None, False),
    ("Healthcheck", True, None, False), ("ArgsEscaped", True, False, False), ("Image", False, "", False),
    ("Volumes", False, None, True), ("WorkingDir", False, "", False), ("Entrypoint", False, None, False),
    ("NetworkDisabled", True, False, False), ("MacAddress", True, "", False), ("OnBuild", False, None, False),
    ("Labels", False, None, True), ("StopSignal", True, "", False), ("StopTimeout", True, None, False),
    ("Shell", True, None, False),
]


def container_config(src):
    """container.Config as Go marshals it, from the same-named keys of an image config's "config"."""
    src = src or {}
    out = {}
    for name, omitempty, zero, is_map in CONTAINER_CONFIG_FIELDS:
        v = src.get(name, zero)
        if v is None:
            v = zero
        if omitempty and (v == zero or v in ({}, [])):
            continue
        out[name] = sorted_map(v) if is_map and v is not None else v
    return out


EPOCH_RFC3339 = "1970-01-01T00:00:00Z"


def v1_image(created, os_name, config=None, top=None):
    """image.V1Image in field order. top: the parsed image config (the top layer's V1Image)."""
    t = top or {}
    v = {}
    # id and parent are filled in by the caller (omitempty).
    if t.get("comment"):
        v["comment"] = t["comment"]
    v["created"] = created
    if t.get("container"):
        v["container"] = t["container"]
    v["container_config"] = container_config(t.get("container_config"))
    for key in ("docker_version", "author"):
        if t.get(key):
            v[key] = t[key]
    if top is not None and t.get("config") is not None:
        v["config"] = container_config(t["config"])
    for key in ("architecture", "variant"):
        if t.get(key):
            v[key] = t[key]
    if os_name:
        v["os"] = os_name
    if t.get("Size"):
        v["Size"] = t["Size"]
    return v


def with_ids(v, v1id, parent_hex):
    out = {"id": v1id}
    if parent_hex:
        out["parent"] = parent_hex
    out.update(v)
    return out


def create_v1_id(v, chain_id, parent):
    """image/v1/imagev1.go CreateID: the v1 JSON (no id) as a map + layer_id + parent, keys sorted."""
    raw = {k: go_json(val).decode("utf-8") for k, val in v.items()}
    raw["layer_id"] = go_json(chain_id).decode()
    if parent:
        raw["parent"] = go_json(parent).decode()
    body = "{" + ",".join('"%s":%s' % (k, raw[k]) for k in sorted(raw)) + "}"
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain_ids(diff_ids):
    out, chain = [], None
    for d in diff_ids:
        chain = d if chain is None else "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
        out.append(chain)
    return out


# ----------------------------------------------------------------------------------------------
# The source image.

class Source:
    def __init__(self, layout, ref):
        self.layout = layout
        index = json.load(open(os.path.join(layout, "index.json")))
        descs = [m for m in index.get("manifests", [])
                 if (m.get("annotations") or {}).get("org.opencontainers.image.ref.name") == ref]
        if len(descs) != 1:
            sys.exit("write-docker-archive: %s has %d images tagged %r" % (layout, len(descs), ref))
        self.manifest_desc = descs[0]
        self.manifest_bytes = self.blob_bytes(descs[0]["digest"])
        self.manifest = json.loads(self.manifest_bytes)
        self.config_bytes = self.blob_bytes(self.manifest["config"]["digest"])
        self.config = json.loads(self.config_bytes)
        self.layers = self.manifest["layers"]
        self.diff_ids = self.config["rootfs"]["diff_ids"]
        if len(self.layers) != len(self.diff_ids):
            sys.exit("write-docker-archive: %d layers but %d diff_ids" % (len(self.layers), len(self.diff_ids)))

    def blob_path(self, digest):
        algo, hexd = digest.split(":", 1)
        return os.path.join(self.layout, "blobs", algo, hexd)

    def blob_bytes(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            return f.read()

    def uncompressed_layer(self, i, dest):
        """Decompress layer i to dest; check it against its diff_id."""
        desc = self.layers[i]
        h = hashlib.sha256()
        gz = desc["mediaType"].endswith("+gzip") or desc["mediaType"].endswith(".tar.gzip")
        d = zlib.decompressobj(wbits=31) if gz else None
        with open(self.blob_path(desc["digest"]), "rb") as src, open(dest, "wb") as out:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                data = d.decompress(chunk) if d else chunk
                h.update(data)
                out.write(data)
            if d:
                tail = d.flush()
                h.update(tail)
                out.write(tail)
        if "sha256:" + h.hexdigest() != self.diff_ids[i]:
            sys.exit("write-docker-archive: layer %d does not match diff_id %s" % (i, self.diff_ids[i]))


def created_time(config):
    """The config's created as Go re-marshals a parsed time.Time (RFC 3339, UTC 'Z' kept)."""
    return config.get("created")


def created_epoch(config):
    import datetime
    c = config.get("created")
    if not c:
        return 0
    c = c.replace("Z", "+00:00")
    if "." in c:   # fromisoformat wants at most 6 fraction digits
        head, rest = c.split(".", 1)
        frac = "".join(ch for ch in rest if ch.isdigit())
        c = head + "." + frac[:6].ljust(6, "0") + rest[len(frac):]
    return int(datetime.datetime.fromisoformat(c).timestamp())   # Truncate(time.Second)


def split_name_tag(name_tag):
    name, _, tag = name_tag.rpartition(":")
    if not name or "/" in tag:
        sys.exit("write-docker-archive: --tag wants NAME:TAG, got %r" % name_tag)
    return name, tag


def docker_full_name(name):
    """reference.ParseNormalizedNamed(...).String(): docker.io/ and library/ added where implied."""
    first = name.split("/", 1)[0]
    if "/" not in name or not ("." in first or ":" in first or first == "localhost"):
        if "/" not in name:
            name = "library/" + name
        name = "docker.io/" + name
    return name


def docker_familiar_name(full):
    if full.startswith("docker.io/"):
        rest = full[len("docker.io/"):]
        return rest[len("library/"):] if rest.startswith("library/") and rest.count("/") == 1 else rest
    return full


def write_atomically(out, writer):
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        writer(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)


# ----------------------------------------------------------------------------------------------

def cmd_docker25(args):
    src = Source(args.src, args.ref)
    cfg = src.config
    name, tag = split_name_tag(args.tag)
    full = docker_full_name(name)
    familiar = docker_familiar_name(full)
    ts = created_epoch(cfg)
    now = args.now

    blobs = {}          # hex -> (mtime, bytes or path)
    workdir = tempfile.mkdtemp(prefix=".docker25.", dir=os.path.dirname(os.path.abspath(args.out)))
    try:
        chains = chain_ids(src.diff_ids)
        parent = ""
        layer_sources = {}
        for i, diff_id in enumerate(src.diff_ids):
            top = i == len(src.diff_ids) - 1
            v = v1_image(created_time(cfg) if top else EPOCH_RFC3339, None if not top else cfg.get("os"),
                         top=cfg if top else None)
            # CreateID runs before OS is set (save.go), so lower layers' IDs exclude "os".
            v1id = create_v1_id(v, chains[i], parent)
            if not top and cfg.get("os"):
                v["os"] = cfg["os"]
            v1 = go_json(with_ids(v, v1id, parent.split(":", 1)[1] if parent else ""))
            blobs[hashlib.sha256(v1).hexdigest()] = (ts, v1)
            path = os.path.join(workdir, diff_id.split(":", 1)[1])
            src.uncompressed_layer(i, path)
            blobs[diff_id.split(":", 1)[1]] = (ts, path)
            # distribution.Descriptor field order: mediaType, size, digest.
            layer_sources[diff_id] = {"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                      "size": os.path.getsize(path), "digest": diff_id}
            parent = "sha256:" + v1id
        config_hex = hashlib.sha256(src.config_bytes).hexdigest()
        blobs[config_hex] = (ts, src.config_bytes)

        manifest = go_json({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + config_hex, "size": len(src.config_bytes)},
            "layers": [{"mediaType": layer_sources[d]["mediaType"], "digest": d, "size": layer_sources[d]["size"]}
                       for d in src.diff_ids],
        })
        manifest_hex = hashlib.sha256(manifest).hexdigest()
        blobs[manifest_hex] = (0, manifest)

        repositories = go_json({familiar: {tag: src.diff_ids[-1].split(":", 1)[1]}}) + b"\n"
        manifest_json = go_json([{
            "Config": "blobs/sha256/" + config_hex,
            "RepoTags": [familiar + ":" + tag],
            "Layers": ["blobs/sha256/" + d.split(":", 1)[1] for d in src.diff_ids],
            "LayerSources": sorted_map(layer_sources),
        }]) + b"\n"
        oci_layout = b'{"imageLayoutVersion": "1.0.0"}'
        index = go_json({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": "sha256:" + manifest_hex, "size": len(manifest),
                           "annotations": {"io.containerd.image.name": full + ":" + tag,
                                           "org.opencontainers.image.ref.name": tag}}],
        })

        def write(f):
            tw = GoTarWriter(f)
            tw.add_dir("blobs", ts)
            tw.add_dir("blobs/sha256", now)
            for hexd in sorted(blobs):
                mtime, content = blobs[hexd]
                if isinstance(content, bytes):
                    tw.add_bytes("blobs/sha256/" + hexd, content, mtime)
                else:
                    tw.add_file("blobs/sha256/" + hexd, content, mtime)
            tw.add_bytes("index.json", index, 0)
            tw.add_bytes("manifest.json", manifest_json, 0)
            tw.add_bytes("oci-layout", oci_layout, 0)
            tw.add_bytes("repositories", repositories, 0)
            tw.close()

        write_atomically(args.out, write)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def cmd_crane(args):
    src = Source(args.src, args.ref)
    config_hex = hashlib.sha256(src.config_bytes).hexdigest()
    layer_files = []
    for desc in src.layers:
        mt = desc["mediaType"]
        if mt.endswith("+zstd"):
            ext = ".tar.zst"
        elif mt in ("application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar",
                    "application/vnd.docker.image.rootfs.diff.tar"):
            ext = ".tar"
        else:
            ext = ".tar.gz"
        layer_files.append(desc["digest"].split(":", 1)[1] + ext)
    manifest = go_json([{"Config": "sha256:" + config_hex, "RepoTags": [args.tag], "Layers": layer_files}])

    def write(f):
        tw = GoTarWriter(f)
        tw.add_bytes("sha256:" + config_hex, src.config_bytes, 0)
        seen = set()
        for desc, fname in zip(src.layers, layer_files):
            if desc["digest"] in seen:
                continue
            seen.add(desc["digest"])
            tw.add_file(fname, src.blob_path(desc["digest"]), 0)
        tw.add_bytes("manifest.json", manifest, 0)
        tw.close()

    write_atomically(args.out, write)


def cmd_multiplatform(args):
    src = Source(args.src, args.ref)
    new_blobs = {}

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        new_blobs[d] = data
        return "sha256:" + d, len(data)

    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w", format=tarfile.PAX_FORMAT) as tf:
        data = b"linux/arm64/v8 stand-in: its blobs are left out of the sparse export\n"
        ti = tarfile.TarInfo("arm64.txt")
        ti.size, ti.mtime, ti.mode = len(data), 1704067200, 0o644
        tf.addfile(ti, io.BytesIO(data))
    raw = layer_tar.getvalue()
    layer_digest, layer_size = put(gzip.compress(raw, mtime=0))
    config_digest, config_size = put(go_json({
        "created": "2024-01-01T00:00:00Z", "architecture": "arm64", "variant": "v8", "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}))
    arm_digest, arm_size = put(go_json({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                   "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": layer_size}]}))
    md = src.manifest_desc
    index_digest, index_size = put(go_json({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": md["mediaType"], "digest": md["digest"], "size": md["size"],
             "platform": {"architecture": src.config.get("architecture", "amd64"), "os": src.config.get("os", "linux")}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm_digest, "size": arm_size,
             "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}))
    index_json = go_json({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": index_digest, "size": index_size,
         "annotations": {"org.opencontainers.image.ref.name": args.ref}}]})

    def write(f):
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tf:
            def add(name, data):
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode = len(data), 0o644
                tf.addfile(ti, io.BytesIO(data))
            add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            add("index.json", index_json)
            for digest in [src.manifest_desc["digest"], src.manifest["config"]["digest"]] + \
                    [l["digest"] for l in src.layers]:
                tf.add(src.blob_path(digest), arcname="blobs/sha256/" + digest.split(":", 1)[1], recursive=False,
                       filter=lambda ti: (setattr(ti, "uid", 0), setattr(ti, "gid", 0), setattr(ti, "uname", ""),
                                          setattr(ti, "gname", ""), setattr(ti, "mode", 0o644), ti)[-1])
            for d, data in sorted(new_blobs.items()):
                add("blobs/sha256/" + d, data)

    write_atomically(args.out, write)


def cmd_retar(args):
    rng = random.Random(args.seed)
    with tarfile.open(args.src, "r:") as tin:
        members = tin.getmembers()
        names = {m.name.rstrip("/") for m in members}
        implied = set()
        for m in members:
            parts = m.name.rstrip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                p = "/".join(parts[:i])
                if p not in names:
                    implied.add(p)
        dirs = [m for m in members if m.isdir()]
        for p in sorted(implied):
            ti = tarfile.TarInfo(p)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
            dirs.append(ti)
        order = [m for m in members if not m.isdir()] + dirs + dirs   # every directory record twice
        rng.shuffle(order)

        root = tarfile.TarInfo(".")
        root.type, root.mode, root.mtime = tarfile.DIRTYPE, 0o755, 0

        def write(f):
            with tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT) as tout:
                tout.addfile(root)
                for m in order:
                    ti = tarfile.TarInfo("./" + m.name.rstrip("/"))
                    for attr in ("type", "mode", "mtime", "uid", "gid", "uname", "gname", "linkname", "size"):
                        setattr(ti, attr, getattr(m, attr))
                    if ti.type == tarfile.LNKTYPE:
                        ti.linkname = "./" + m.linkname
                    if m.isreg():
                        with tin.extractfile(m) as data:
                            tout.addfile(ti, data)
                    else:
                        ti.size = 0
                        tout.addfile(ti)

        write_atomically(args.out, write)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("docker25")
    a.add_argument("src")
    a.add_argument("out")
    a.add_argument("--ref", default="latest")
    a.add_argument("--tag", default="ocislim/test:latest")
    a.add_argument("--now", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    a.set_defaults(func=cmd_docker25)
    a = sub.add_parser("crane")
    a.add_argument("src")
    a.add_argument("out")
    a.add_argument("--ref", default="latest")
    a.add_argument("--tag", default="localhost:5000/ocislim/test:latest")
    a.set_defaults(func=cmd_crane)
    a = sub.add_parser("multiplatform-oci-archive")
    a.add_argument("src")
    a.add_argument("out")
    a.add_argument("--ref", default="latest")
    a.set_defaults(func=cmd_multiplatform)
    a = sub.add_parser("retar-dotslash")
    a.add_argument("src")
    a.add_argument("out")
    a.add_argument("--seed", type=int, default=6)
    a.set_defaults(func=cmd_retar)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
