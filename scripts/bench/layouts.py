"""OCI image layouts: reading their documents, and making the images the sections measure (the real image, the
synthetic ones, the pass-through image, the base layer's tar)."""
import hashlib
import json
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

from .measure import CommandFailed, log, remove, run_checked


REAL_IMAGE = Path(".cache/images/python-debian")
SYNTHETIC_DIR = Path(".cache/synthetic")
PASSTHROUGH_IMAGE = Path(".cache/bench/passthrough")
BASE_TAR = Path(".cache/bench/base-layer.tar")


def blob_path(layout: Path, digest: str) -> Path:
    algorithm, encoded = digest.split(":", 1)
    return layout / "blobs" / algorithm / encoded


def read_json(path: Path) -> dict:
    with open(path, "rb") as f:
        return json.load(f)


def image_tag(layout: Path) -> str:
    """The ref name of the layout's first manifest (annotation org.opencontainers.image.ref.name)."""
    return read_json(layout / "index.json")["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]


def image_manifest(layout: Path, tag: str) -> dict:
    for descriptor in read_json(layout / "index.json")["manifests"]:
        if descriptor.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return read_json(blob_path(layout, descriptor["digest"]))
    raise CommandFailed(f"{layout}: no manifest tagged {tag}")


def layer_bytes(layout: Path, tag: str) -> tuple[int, int]:
    """Total compressed size of the tagged image's layers, and their number."""
    layers = image_manifest(layout, tag)["layers"]
    return sum(layer["size"] for layer in layers), len(layers)


def validate(layout: Path, tag: str) -> bool:
    """oci-image-tool's verdict on the tagged image of the layout."""
    completed = subprocess.run(["oci-image-tool", "validate", "--type", "image", "--ref", f"name={tag}",
                                str(layout)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        log(f"warning: oci-image-tool rejects {layout}: {completed.stderr.strip()[-500:]}")
    return completed.returncode == 0


def ensure_real_image() -> None:
    """make-test-image.sh returns at once when its cached image is current."""
    log(f"real image: {REAL_IMAGE} (scripts/make-test-image.sh, cached)")
    completed = subprocess.run(["bash", "scripts/make-test-image.sh", str(REAL_IMAGE)], stdout=sys.stderr)
    if completed.returncode != 0:
        raise CommandFailed(f"exit {completed.returncode}: bash scripts/make-test-image.sh {REAL_IMAGE}")


def synthetic_image(size_mib: int) -> Path:
    path = SYNTHETIC_DIR / f"layer-{size_mib}MiB"
    if not (path / "index.json").exists():
        log(f"making synthetic image {path} (once; cached)")
    run_checked([sys.executable, "scripts/make-synthetic-image.py", str(size_mib), str(path)])
    return path


def is_python_path(name: str) -> bool:
    """Anything of a Python tree: under a python3* directory, a .py/.pyc file, or in a __pycache__ directory."""
    parts = name.strip("/").split("/")
    return any(part.startswith("python3") or part == "__pycache__" for part in parts[:-1]) \
        or parts[-1].startswith("python3") or parts[-1].endswith((".py", ".pyc")) or parts[-1] == "__pycache__"


def filter_python_trees(source_blob: Path, target_tar: Path) -> None:
    """Copies the gzip layer as a tar without its Python trees (and without hardlinks to what was dropped)."""
    dropped = set()
    with tarfile.open(source_blob, mode="r|gz") as tar_in, \
            tarfile.open(target_tar, mode="w", format=tarfile.PAX_FORMAT) as tar_out:
        for member in tar_in:
            if is_python_path(member.name) or (member.islnk() and member.linkname in dropped):
                dropped.add(member.name)
                continue
            tar_out.addfile(member, tar_in.extractfile(member) if member.isreg() else None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def write_json_blob(layout: Path, document: dict) -> dict:
    """Writes the document as a blob; returns its descriptor's digest and size."""
    data = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blob_path(layout, digest).write_bytes(data)
    return {"digest": digest, "size": len(data)}


def write_pigz_blob(layout: Path, tar: Path) -> dict:
    """Compresses the tar with `pigz -6 -n` (no name, no mtime) into a blob; returns its digest and size."""
    temporary = layout / "blobs" / "sha256" / "layer.gz"
    with open(temporary, "wb") as f:
        if subprocess.run(["pigz", "-6", "-n", "-c", str(tar)], stdout=f).returncode != 0:
            raise CommandFailed(f"pigz -6 -n -c {tar}")
    digest = sha256_file(temporary)
    temporary.rename(blob_path(layout, digest))
    return {"digest": digest, "size": blob_path(layout, digest).stat().st_size}


def write_image_layout(layout: Path, config: dict, layers: list[dict], tag: str) -> None:
    """The config, manifest, index.json and oci-layout of a one-image layout whose layer blobs are written."""
    config_descriptor = {"mediaType": "application/vnd.oci.image.config.v1+json", **write_json_blob(layout, config)}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_descriptor, "layers": layers}
    manifest_descriptor = {"mediaType": manifest["mediaType"], **write_json_blob(layout, manifest),
                           "annotations": {"org.opencontainers.image.ref.name": tag}}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest_descriptor]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')


def ensure_passthrough_image(image: Path, tag: str) -> Path:
    """The real image's base layer without Python, as a one-layer layout; rebuilt when the base layer changes."""
    manifest = image_manifest(image, tag)
    base = max(manifest["layers"], key=lambda layer: layer["size"])
    stamp = PASSTHROUGH_IMAGE / "source-layer"
    if stamp.exists() and stamp.read_text() == base["digest"]:
        return PASSTHROUGH_IMAGE
    log(f"passthrough: filtering Python out of the base layer {base['digest'][:19]} (once; cached)")
    staging = Path(str(PASSTHROUGH_IMAGE) + ".partial")
    remove(staging)
    (staging / "blobs" / "sha256").mkdir(parents=True)
    tar = staging / "layer.tar"
    filter_python_trees(blob_path(image, base["digest"]), tar)
    diff_id = sha256_file(tar)
    layer = {"mediaType": base["mediaType"], **write_pigz_blob(staging, tar)}
    tar.unlink()
    original_config = read_json(blob_path(image, manifest["config"]["digest"]))
    config = {key: original_config[key] for key in ("architecture", "os", "config")}
    config["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
    write_image_layout(staging, config, [layer], "latest")
    run_checked([sys.executable, "scripts/check-layout.py", str(staging)])
    (staging / "source-layer").write_text(base["digest"])
    remove(PASSTHROUGH_IMAGE)
    staging.rename(PASSTHROUGH_IMAGE)
    return PASSTHROUGH_IMAGE


def ensure_base_tar(image: Path, tag: str) -> tuple[Path, Path]:
    """The real image's largest layer blob, and its tar (decompressed once; cached)."""
    blob = max((blob_path(image, layer["digest"]) for layer in image_manifest(image, tag)["layers"]),
               key=lambda path: path.stat().st_size)
    if not BASE_TAR.exists():
        partial = BASE_TAR.with_suffix(".partial")
        run_checked(["bash", "-c", f"pigz -dc {shlex.quote(str(blob))} > {shlex.quote(str(partial))}"])
        partial.rename(BASE_TAR)
    return blob, BASE_TAR
