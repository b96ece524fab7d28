#!/usr/bin/env python3
"""Writes the fuzz seed corpora under testdata/fuzz/<target>/ (small, deterministic; rerun after changing a format).

json: documents of every type the tool reads; layout: layouts in the layout harness's record format (see
Sources/ocislim-fuzz/layout/main.swift); tar: small uncompressed layers in ustar, pax and GNU formats with the
entry kinds the planner meets; planner: entry lists in the planner harness's format.
"""
import io
import json
import os
import shutil
import sys
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "fuzz")
H = "sha256:" + "a" * 64
H2 = "sha256:" + "b" * 64
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


def compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as handle:
        handle.write(data)


def json_seeds():
    descriptor = {"mediaType": MANIFEST, "digest": H, "size": 123,
                  "annotations": {"org.opencontainers.image.ref.name": "latest"},
                  "platform": {"architecture": "amd64", "os": "linux", "variant": "v8"}}
    documents = {
        "oci-layout": {"imageLayoutVersion": "1.0.0"},
        "index": {"schemaVersion": 2, "mediaType": INDEX, "manifests": [descriptor], "x-unknown": [1, 2.5, None]},
        "docker-list": {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [descriptor, descriptor]},
        "manifest": {"schemaVersion": 2, "mediaType": MANIFEST,
                     "config": {"mediaType": CONFIG, "digest": H, "size": 2},
                     "layers": [{"mediaType": LAYER, "digest": H2, "size": 10, "urls": ["https://x/y"]}],
                     "subject": {"mediaType": MANIFEST, "digest": H, "size": 1},
                     "annotations": {"a": "b"}},
        "config": {"architecture": "amd64", "os": "linux",
                   "config": {"Env": ["PATH=/usr/bin", "LANG=C.UTF-8"], "Cmd": ["/usr/bin/python3"],
                              "Entrypoint": None, "Labels": {"k": "v"}},
                   "rootfs": {"type": "layers", "diff_ids": [H, H2]},
                   "history": [{"created_by": "RUN x", "empty_layer": True}]},
        "config-null-config": {"config": None, "rootfs": {"type": "layers", "diff_ids": []}},
        "descriptor": descriptor,
        "numbers": {"a": 9223372036854775807, "b": -1e300, "c": 0.5, "d": [True, False, None, "\u00e9\u2603"]},
    }
    for name, document in documents.items():
        write("json", name + ".json", compact(document))
    # The same document spaced, and with a duplicate key (issue 10, defect 6), as text.
    write("json", "spaced.json", json.dumps(documents["manifest"], indent=2).encode())
    write("json", "duplicate-key.json",
          b'{"mediaType":"%s","digest":"%s","digest":"%s","size":1}' % (MANIFEST.encode(), H.encode(), H2.encode()))


def layout_seeds():
    def records(*parts):
        return b"\0".join(part if isinstance(part, bytes) else part.encode() for part in parts)

    def descriptor(media_type, number, extra=""):
        return '{"mediaType":"%s","digest":"@d%d","size":@s%d%s}' % (media_type, number, number, extra)

    image_manifest = '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' % (
        MANIFEST, descriptor(CONFIG, 3), descriptor(LAYER, 4))
    config = '{"rootfs":{"type":"layers","diff_ids":["%s"]},"config":{"Env":["A=b"]}}' % H
    ref = ',"annotations":{"org.opencontainers.image.ref.name":"latest"}'
    write("layout", "image", records(
        '{"schemaVersion":2,"manifests":[%s]}' % descriptor(MANIFEST, 2, ref),
        "unused", image_manifest, config, "layer bytes"))
    nested = records(
        '{"schemaVersion":2,"manifests":[%s]}' % descriptor(INDEX, 1),
        '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}' % (
            INDEX, descriptor(MANIFEST, 2, ',"platform":{"architecture":"amd64","os":"linux"}'),
            descriptor(MANIFEST, 2, ',"platform":{"architecture":"arm64","os":"linux","variant":"v8"}')),
        '{"schemaVersion":2,"config":%s,"layers":[%s,%s]}' % (
            descriptor(CONFIG, 3), descriptor(LAYER, 4),
            descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 5)),
        '{"rootfs":{"type":"layers","diff_ids":["%s","%s"]}}' % (H, H2), "layer", "foreign")
    write("layout", "nested-index", nested)
    artifact = records(
        '{"schemaVersion":2,"manifests":[%s]}' % descriptor(MANIFEST, 1),
        '{"schemaVersion":2,"config":%s,"layers":[%s]}' % (
            descriptor("application/vnd.dev.sigstore.bundle+json", 2), descriptor("application/octet-stream", 3)),
        "{}", "payload")
    write("layout", "artifact", artifact)
    write("layout", "missing-blob", records(
        '{"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"%s","size":3}]}' % (MANIFEST, H)))
    write("layout", "docker-list", records(
        '{"schemaVersion":2,"manifests":[%s]}' % descriptor(DOCKER_LIST, 1),
        '{"schemaVersion":2,"manifests":[%s]}' % descriptor("application/vnd.docker.distribution.manifest.v2+json", 2),
        '{"schemaVersion":2,"config":%s,"layers":[%s]}' % (
            descriptor("application/vnd.docker.container.image.v1+json", 3),
            descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", 4)),
        '{"rootfs":{"type":"layers","diff_ids":["%s"]}}' % H, "layer"))


def tar_bytes(format, members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=format) as archive:
        for info, data in members:
            info.mtime = info.mtime or 1700000000
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    # tarfile pads to a 10 KiB record; keep only the two zero blocks that end the archive.
    body = buffer.getvalue().rstrip(b"\0")
    return body + b"\0" * (-len(body) % 512 + 1024)


def member(name, data=b"", kind=tarfile.REGTYPE, link="", mode=0o644, pax=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    if pax:
        info.pax_headers = pax
    return info, (data if kind == tarfile.REGTYPE else None)


def tar_seeds():
    pyc = bytes([0xA7, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0]) + b"\xe3code"
    python = [
        member("usr/", kind=tarfile.DIRTYPE, mode=0o755),
        member("usr/lib/python3.11/site-packages/pkg/__init__.py", b"x = 1\n"),
        member("usr/lib/python3.11/site-packages/pkg/__pycache__/__init__.cpython-311.pyc", pyc),
        member("usr/lib/python3.11/site-packages/pkg/__pycache__/__init__.cpython-311.opt-1.pyc", pyc),
        member("usr/lib/python3.11/site-packages/pkg/__pycache__/copy.cpython-311.pyc",
               kind=tarfile.LNKTYPE, link="usr/lib/python3.11/site-packages/pkg/__pycache__/__init__.cpython-311.pyc"),
        member("usr/bin/python3", kind=tarfile.SYMTYPE, link="python3.11"),
    ]
    write("tar", "ustar-python", tar_bytes(tarfile.USTAR_FORMAT, python))
    write("tar", "gnu-python", tar_bytes(tarfile.GNU_FORMAT, python + [
        member("usr/lib/python3.11/" + "long-directory-name/" * 8 + "module.py", b"pass\n")]))
    write("tar", "pax-python", tar_bytes(tarfile.PAX_FORMAT, python + [
        member("usr/lib/python3.11/caf\u00e9.py", b"# \xc3\xa9\n",
               pax={"SCHILY.xattr.user.k": "v", "mtime": "1700000000.5"})]))
    write("tar", "whiteouts", tar_bytes(tarfile.PAX_FORMAT, [
        member("./usr/lib/python3.11/.wh.gone.py"),
        member("usr/lib/python3.11/__pycache__/.wh..wh..opq"),
        member("/abs/../up.py", b"#\n"),
        member("dir/", kind=tarfile.DIRTYPE, mode=0o755),
        member("dev", kind=tarfile.FIFOTYPE),
    ]))
    write("tar", "empty", b"")
    write("tar", "end-only", b"\0" * 1024)


def planner_seeds():
    # options byte, minimum-saving byte, then entries: kind byte, path (count byte, component bytes), size, [target],
    # metadata, [digest byte], [pyc header], [source hash]. Component numbers index the harness's list.
    usr, lib, py311, site, cache, a_py, a_pyc, a_opt1 = 0, 1, 2, 4, 6, 7, 9, 10

    def path(*parts):
        return bytes([len(parts) - 1]) + bytes(parts)

    regular, directory, hardlink = 0, 2, 4
    with_digest, with_pyc, with_hash, compiles = 0x08, 0x10, 0x20, 0x40
    base = path(usr, lib, py311, site, cache, a_pyc)
    entries = (
        bytes([regular]) + path(usr, lib, py311, site, a_py) + bytes([10, 2])
        + bytes([regular | with_digest | with_pyc]) + base + bytes([4, 2, 7, 0]) + bytes(8)
        + bytes([regular | with_digest]) + path(usr, lib, py311, site, cache, a_opt1) + bytes([4, 2, 7])
        + bytes([hardlink]) + path(usr, lib, py311, site, cache, 12) + bytes([0]) + base + bytes([2])
    )
    for strategy in range(4):
        write("planner", "strategy-%d" % strategy, bytes([strategy, 0]) + entries)
    layered = bytes([3, 0]) + entries + b"\xff" + bytes([regular | with_hash | compiles]) + path(
        usr, lib, py311, site, a_py) + bytes([20, 4, 5]) + bytes(8) + b"\xff" + bytes([directory]) + path(
        usr, lib, py311, site, cache) + bytes([0, 0])
    write("planner", "three-layers", layered)


def main():
    targets = sys.argv[1:] or ["json", "layout", "tar", "planner"]
    for target in targets:
        shutil.rmtree(os.path.join(ROOT, target), ignore_errors=True)
        globals()[target + "_seeds"]()


if __name__ == "__main__":
    main()
