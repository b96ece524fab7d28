#!/usr/bin/env python3
"""`make bench`: ocislim against its peers, as medians of alternating runs on this machine.

usage: python3 scripts/bench.py [--runs N] [--quick] [--only SECTION,...] [--out DIR] [--chart PNG]
       python3 scripts/bench.py --chart-from DIR/results.json [--chart PNG]      (redraw the chart only)

Run from `make bench` (which builds the release binary first) or by hand with OCISLIM=path/to/ocislim (default
.build/release/ocislim). Needs root (make-test-image.sh and umoci unpack), pigz, gzip, umoci, oci-image-tool and GNU
time; the chart needs matplotlib, which is installed with pip into .cache/bench/venv on first use.

Every measured command runs --runs times (default 5), alternating with its peers (ocislim, peer, ocislim, peer, …),
so slow drifts of the machine hit both alike; the tables give medians. Wall time is taken by this script around
each command (millisecond resolution), peak RSS by `/usr/bin/time -f %M` (for a shell pipeline: its largest
process). Set-up before each run (removing the previous output, copying a layout) is not timed.

Sections (targets from issue 4; each prints PASS or MISS, for information only: the exit status is 0 unless a
command fails):
  rewrite      `ocislim rewrite -q --strategy drop-bytecode` of the real test image (scripts/make-test-image.sh)
               against `pigz -dc LAYER | pigz -6 -p$(nproc) > /dev/null` run one after the other over the layers
               that ocislim changes. Target: wall ≤ 0.5× the peer. Size: ocislim's changed layers against
               `pigz -6 -p$(nproc)` of the same tars (ocislim's output, decompressed). Target: ≤ 1.01×.
  passthrough  A one-layer image with nothing to change (the real image's base layer without its Python trees,
               recompressed by pigz -6; cached in .cache/bench/passthrough): ocislim rewrite against
               `gzip -dc LAYER > /dev/null`. The report must show the layer unchanged. Target: ≤ 0.6×.
  memory       Peak RSS of ocislim rewrite on synthetic one-layer images (scripts/make-synthetic-image.py) of 256 and
               4096 MiB, minus the baseline, a 1 MiB image. Target: ≤ 64 MiB above baseline for both, and the two
               within 8 MiB of each other.
  scaling      ocislim on the real image with --jobs 1 against --jobs $(nproc) (the speed-up, for information), and
               seconds per MiB of tar on synthetic images of 256, 1024 and 4096 MiB. Target: linear, i.e. the
               largest seconds-per-MiB at most 1.15× the smallest. (memory and scaling share the synthetic runs.)
  peers        The same strategy done by (a) umoci: `umoci unpack`, delete every .pyc in __pycache__, `umoci
               repack` on a copy of the layout (copy not timed; repack adds a layer of whiteouts on top, so the
               image grows), (a') umoci squash: the same rootfs repacked into a new one-layer image (the smallest
               image umoci can make), and (b) scripts/peer-tarfile-filter.py (Python tarfile + gzip level 6). Wall
               time and total compressed layer size against ocislim, for information.
  components   ocislim's building blocks alone (`ocislim-bench`, built with ocislim): SHA-256 against `openssl
               speed -evp sha256`, gzip inflate (ISA-L) against `igzip -dc` and `gzip -dc`, gzip deflate on 1 and
               all cores against `pigz -6 -p1` / `-p$(nproc)`, over the real image's base layer. For information,
               except the deflate size (≤ 1.01× pigz -6).

--quick: one run, synthetic images of 16, 32 and 64 MiB (1 MiB baseline); the real image is used as it is.
--only: some sections (e.g. `--only memory` for `make bench-memory`).
Writes OUT/results.json (every run, medians, machine), OUT/results.md (the tables for BENCHMARKS.md) and the chart.
A full run (all sections, not --quick) writes to .cache/bench and docs/benchmarks.png; others to .cache/bench/quick
or .cache/bench/SECTION-… and OUT/benchmarks.png, so they never replace the published figures.
Images are cached in .cache/images, .cache/synthetic (the 4 GiB one takes about a minute to make) and
.cache/bench/passthrough. On 2 cores a full run takes about 15 minutes, a --quick run about 2.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
REAL_IMAGE = Path(".cache/images/python-debian")
SYNTHETIC_DIR = Path(".cache/synthetic")
PASSTHROUGH_IMAGE = Path(".cache/bench/passthrough")
VENV = Path(".cache/bench/venv")
NPROC = os.cpu_count() or 1
SECTIONS = ["rewrite", "passthrough", "memory", "scaling", "peers", "components"]

MEMORY_SIZES = {"full": [256, 4096], "quick": [16, 64]}
SCALING_SIZES = {"full": [256, 1024, 4096], "quick": [16, 32, 64]}
BASELINE_SIZE = 1
REWRITE_TIME_TARGET = 0.5
REWRITE_SIZE_TARGET = 1.01
PASSTHROUGH_TARGET = 0.6
MEMORY_TARGET_MIB = 64
MEMORY_SAME_MIB = 8
LINEAR_TARGET = 1.15


# MARK: measurements

@dataclass
class Run:
    """One timed run of one command."""
    wall_s: float
    peak_rss_mib: float


@dataclass
class Measurement:
    """A command, the untimed set-up before each of its runs, and its runs."""
    label: str
    argv: list[str]
    prepare: Callable[[], None] = lambda: None
    stdout_path: Path | None = None
    runs: list[Run] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return statistics.median(run.wall_s for run in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return statistics.median(run.peak_rss_mib for run in self.runs)

    def to_json(self) -> dict:
        return {"label": self.label, "command": shlex.join(self.argv), "runs": [asdict(run) for run in self.runs],
                "median_wall_s": round(self.wall_s, 3), "median_peak_rss_mib": round(self.peak_rss_mib, 1)}


@dataclass
class Row:
    """One line of the summary table."""
    section: str
    what: str
    ocislim: str
    peer: str
    ratio: str
    target: str
    verdict: str


@dataclass
class Section:
    """What one section measured: its commands, the numbers derived from them, its summary rows and tables."""
    key: str
    title: str
    measurements: list[Measurement]
    details: dict
    rows: list[Row]
    tables: list[str]
    duration_s: float = 0.0

    def to_json(self) -> dict:
        return {"title": self.title, "duration_s": round(self.duration_s, 1),
                "measurements": [m.to_json() for m in self.measurements], "details": self.details,
                "rows": [asdict(row) for row in self.rows], "tables": self.tables}


class CommandFailed(Exception):
    """A benchmarked or helper command exited with a non-zero status."""


@dataclass
class Context:
    """Settings shared by every section."""
    ocislim: str
    runs: int
    quick: bool
    work: Path
    image: Path = REAL_IMAGE
    tag: str = "latest"
    synthetic_runs: dict[int, Measurement] | None = None

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_checked(argv: list[str], stdout=subprocess.DEVNULL) -> str:
    """Runs a helper command (not timed); returns its standard output when `stdout` is PIPE."""
    completed = subprocess.run(argv, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise CommandFailed(f"exit {completed.returncode}: {shlex.join(argv)}\n{completed.stderr[-2000:]}")
    return completed.stdout or ""


def time_command(argv: list[str], stdout_path: Path | None) -> Run:
    """Runs argv under GNU time: wall time measured here, peak RSS (KiB) from `%M`."""
    with tempfile.NamedTemporaryFile("r", prefix="bench-time-") as time_file:
        with open(stdout_path or os.devnull, "wb") as stdout:
            start = time.perf_counter()
            completed = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", time_file.name, *argv],
                                       stdout=stdout, stderr=subprocess.PIPE, text=True)
            wall = time.perf_counter() - start
        if completed.returncode != 0:
            raise CommandFailed(f"exit {completed.returncode}: {shlex.join(argv)}\n{completed.stderr[-2000:]}")
        peak_rss_kib = int(time_file.read().split()[-1])
    return Run(wall_s=round(wall, 3), peak_rss_mib=round(peak_rss_kib / 1024, 1))


def measure_alternately(section: str, measurements: list[Measurement], runs: int) -> None:
    """Runs each measurement `runs` times, taking turns: A, B, A, B, …"""
    for number in range(1, runs + 1):
        for measurement in measurements:
            measurement.prepare()
            run = time_command(measurement.argv, measurement.stdout_path)
            measurement.runs.append(run)
            log(f"{section}: run {number}/{runs}: {measurement.label}: {run.wall_s:.2f} s, "
                f"{run.peak_rss_mib:.0f} MiB")


def remove(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


# MARK: formatting

def seconds(value: float) -> str:
    return f"{value:.2f} s"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def mebibytes(value: float) -> str:
    return f"{value:.1f} MiB"


def times(ratio: float) -> str:
    return f"{ratio:.3f}×" if 0.95 <= ratio <= 1.05 else f"{ratio:.2f}×"


def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "MISS"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table padded to line up in a terminal too."""
    rows = [[str(cell).replace("|", "\\|") for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *map(line, rows)])


def measurement_table(measurements: list[Measurement]) -> str:
    """Median wall and peak RSS of each command, against the first (ocislim)."""
    reference = measurements[0].wall_s
    rows = [[m.label, seconds(m.wall_s), times(m.wall_s / reference), mebibytes(m.peak_rss_mib),
             ", ".join(f"{run.wall_s:.2f}" for run in m.runs)] for m in measurements]
    return markdown_table(["command", "median wall", f"vs {measurements[0].label}", "median peak RSS",
                           "runs (s)"], rows)


SUMMARY_HEADER = ["section", "measure", "ocislim", "peer", "ratio", "target", ""]


def summary_table(sections: list[Section]) -> str:
    return markdown_table(SUMMARY_HEADER, [list(asdict(row).values()) for section in sections for row in section.rows])


# MARK: layouts

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


def rewrite_argv(ctx: Context, image: Path, output: Path, report: Path, *extra: str) -> list[str]:
    return [ctx.ocislim, "rewrite", "-q", "--strategy", "drop-bytecode", "--json", "--report", str(report),
            *extra, str(image), str(output)]


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


# MARK: 1. rewrite speed and size

@dataclass
class ChangedLayer:
    """A layer ocislim rewrote: sizes of the input blob, ocislim's blob and pigz -6 of ocislim's tar."""
    index: int
    old_digest: str
    new_digest: str
    old_size: int
    new_size: int
    pigz_size: int = 0


def changed_layers(report: dict) -> list[ChangedLayer]:
    """Distinct layers the report shows rewritten (a layer shared by several images counts once)."""
    layers: dict[str, ChangedLayer] = {}
    for image in report["images"]:
        for layer in image["layers"]:
            if not layer["unchanged"] and layer["blob"]["old"] not in layers:
                layers[layer["blob"]["old"]] = ChangedLayer(
                    index=layer["index"], old_digest=layer["blob"]["old"], new_digest=layer["blob"]["new"],
                    old_size=layer["compressedSize"]["old"], new_size=layer["compressedSize"]["new"])
    return list(layers.values())


def pigz_recompressed_size(blob: Path) -> int:
    """Bytes of `pigz -6 -p$(nproc)` of the blob's decompressed tar."""
    script = f"set -euo pipefail; pigz -dc {shlex.quote(str(blob))} | pigz -6 -p{NPROC} | wc -c"
    return int(run_checked(["bash", "-c", script], stdout=subprocess.PIPE))


def bench_rewrite(ctx: Context) -> Section:
    output, report = ctx.work / "rewrite-out", ctx.work / "rewrite-report.json"
    argv = rewrite_argv(ctx, ctx.image, output, report)
    log("rewrite: warm-up run (not counted) to find the layers ocislim changes")
    remove(output)
    run_checked(argv)
    layers = changed_layers(read_json(report))
    if not layers:
        raise CommandFailed(f"ocislim changed no layer of {ctx.image}: nothing to compare with pigz")
    for layer in layers:
        layer.pigz_size = pigz_recompressed_size(blob_path(output, layer.new_digest))
    peer_script = "set -euo pipefail\n" + "\n".join(
        f"pigz -dc {shlex.quote(str(blob_path(ctx.image, layer.old_digest)))} | pigz -6 -p{NPROC} > /dev/null"
        for layer in layers)
    ocislim = Measurement("ocislim rewrite", argv, prepare=lambda: remove(output))
    peer = Measurement(f"pigz -dc | pigz -6 -p{NPROC}", ["bash", "-c", peer_script])
    measure_alternately("rewrite", [ocislim, peer], ctx.runs)

    time_ratio = ocislim.wall_s / peer.wall_s
    ocislim_bytes, pigz_bytes = sum(layer.new_size for layer in layers), sum(layer.pigz_size for layer in layers)
    size_ratio = ocislim_bytes / pigz_bytes
    rows = [
        Row("rewrite", f"wall, {len(layers)} changed layers", seconds(ocislim.wall_s),
            f"{seconds(peer.wall_s)} (pigz -dc | pigz -6)", times(time_ratio), f"≤ {REWRITE_TIME_TARGET}×",
            verdict(time_ratio, REWRITE_TIME_TARGET)),
        Row("rewrite", "size of changed layers", megabytes(ocislim_bytes), f"{megabytes(pigz_bytes)} (pigz -6)",
            times(size_ratio), f"≤ {REWRITE_SIZE_TARGET}×", verdict(size_ratio, REWRITE_SIZE_TARGET)),
    ]
    size_rows = [[str(layer.index), layer.old_digest[7:19], megabytes(layer.old_size), megabytes(layer.new_size),
                  megabytes(layer.pigz_size), times(layer.new_size / layer.pigz_size)] for layer in layers]
    size_rows.append(["all", "", megabytes(sum(layer.old_size for layer in layers)), megabytes(ocislim_bytes),
                      megabytes(pigz_bytes), times(size_ratio)])
    tables = [measurement_table([ocislim, peer]) + f"\n\nThe peer runs `pigz -dc LAYER | pigz -6 -p{NPROC} > "
              f"/dev/null` over the {len(layers)} input layers ocislim changes, one after the other.",
              markdown_table(["layer", "input digest", "input", "ocislim", f"pigz -6 -p{NPROC} of ocislim's tar",
                              "ocislim / pigz"], size_rows)]
    details = {"changed_layers": [asdict(layer) for layer in layers], "time_ratio": time_ratio,
               "size_ratio": size_ratio, "ocislim_bytes": ocislim_bytes, "pigz_bytes": pigz_bytes}
    return Section("rewrite", "Rewrite speed and size (real image, drop-bytecode)", [ocislim, peer], details,
                   rows, tables)


# MARK: 2. pass-through

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


def ensure_passthrough_image(ctx: Context) -> Path:
    """The real image's base layer without Python, as a one-layer layout; rebuilt when the base layer changes."""
    manifest = image_manifest(ctx.image, ctx.tag)
    base = max(manifest["layers"], key=lambda layer: layer["size"])
    stamp = PASSTHROUGH_IMAGE / "source-layer"
    if stamp.exists() and stamp.read_text() == base["digest"]:
        return PASSTHROUGH_IMAGE
    log(f"passthrough: filtering Python out of the base layer {base['digest'][:19]} (once; cached)")
    staging = Path(str(PASSTHROUGH_IMAGE) + ".partial")
    remove(staging)
    (staging / "blobs" / "sha256").mkdir(parents=True)
    tar = staging / "layer.tar"
    filter_python_trees(blob_path(ctx.image, base["digest"]), tar)
    diff_id = sha256_file(tar)
    layer = {"mediaType": base["mediaType"], **write_pigz_blob(staging, tar)}
    tar.unlink()
    original_config = read_json(blob_path(ctx.image, manifest["config"]["digest"]))
    config = {key: original_config[key] for key in ("architecture", "os", "config")}
    config["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
    write_image_layout(staging, config, [layer], "latest")
    run_checked([sys.executable, "scripts/check-layout.py", str(staging)])
    (staging / "source-layer").write_text(base["digest"])
    remove(PASSTHROUGH_IMAGE)
    staging.rename(PASSTHROUGH_IMAGE)
    return PASSTHROUGH_IMAGE


def bench_passthrough(ctx: Context) -> Section:
    image = ensure_passthrough_image(ctx)
    layer = image_manifest(image, "latest")["layers"][0]
    output, report = ctx.work / "passthrough-out", ctx.work / "passthrough-report.json"
    argv = rewrite_argv(ctx, image, output, report)
    ocislim = Measurement("ocislim rewrite", argv, prepare=lambda: remove(output))
    peer = Measurement("gzip -dc", ["gzip", "-dc", str(blob_path(image, layer["digest"]))])
    measure_alternately("passthrough", [ocislim, peer], ctx.runs)

    reported = read_json(report)["images"][0]["layers"][0]
    unchanged = reported["unchanged"] and reported["blob"]["old"] == reported["blob"]["new"]
    if not unchanged:
        log("warning: passthrough: ocislim changed the layer that should pass through")
    ratio = ocislim.wall_s / peer.wall_s
    rows = [Row("passthrough", f"wall, 1 layer of {megabytes(layer['size'])}"
                + ("" if unchanged else " (CHANGED!)"), seconds(ocislim.wall_s),
                f"{seconds(peer.wall_s)} (gzip -dc)", times(ratio), f"≤ {PASSTHROUGH_TARGET}×",
                verdict(ratio, PASSTHROUGH_TARGET) if unchanged else "MISS")]
    details = {"layer_digest": layer["digest"], "layer_bytes": layer["size"],
               "uncompressed_bytes": reported["uncompressedSize"]["old"], "unchanged": unchanged,
               "time_ratio": ratio}
    table = measurement_table([ocislim, peer]) + (
        f"\n\nLayer: {megabytes(layer['size'])} compressed (pigz -6), "
        f"{megabytes(reported['uncompressedSize']['old'])} uncompressed; "
        f"ocislim left it {'unchanged (same digest)' if unchanged else 'CHANGED'}.")
    return Section("passthrough", "Pass-through layer (nothing to change)", [ocislim, peer], details, rows, [table])


# MARK: 3. memory and 4. scaling (synthetic layers)

def synthetic_sizes(ctx: Context, sections: list[str]) -> list[int]:
    sizes = set()
    if "memory" in sections:
        sizes.update([BASELINE_SIZE, *MEMORY_SIZES[ctx.mode]])
    if "scaling" in sections:
        sizes.update(SCALING_SIZES[ctx.mode])
    return sorted(sizes)


def measure_synthetic(ctx: Context, sizes: list[int]) -> dict[int, Measurement]:
    """ocislim rewrite on each synthetic image, the sizes taking turns; shared by the memory and scaling sections."""
    measurements = {}
    for size in sizes:
        image, output = synthetic_image(size), ctx.work / f"synthetic-{size}-out"
        report = ctx.work / f"synthetic-{size}-report.json"
        measurements[size] = Measurement(f"{size} MiB", rewrite_argv(ctx, image, output, report),
                                         prepare=lambda output=output: remove(output))
    measure_alternately("synthetic", list(measurements.values()), ctx.runs)
    for size in sizes:
        remove(ctx.work / f"synthetic-{size}-out")
    return measurements


def synthetic_tar_bytes(ctx: Context, size: int) -> int:
    return read_json(ctx.work / f"synthetic-{size}-report.json")["totals"]["uncompressedSize"]["old"]


def bench_memory(ctx: Context) -> Section:
    runs = ctx.synthetic_runs
    baseline = runs[BASELINE_SIZE].peak_rss_mib
    sizes = MEMORY_SIZES[ctx.mode]
    above = {size: runs[size].peak_rss_mib - baseline for size in sizes}
    spread = max(above.values()) - min(above.values())
    rows = [Row("memory", f"peak RSS above baseline, {size} MiB layer", mebibytes(above[size]),
                f"baseline {mebibytes(baseline)} ({BASELINE_SIZE} MiB layer)", "", f"≤ {MEMORY_TARGET_MIB} MiB",
                verdict(above[size], MEMORY_TARGET_MIB)) for size in sizes]
    rows.append(Row("memory", f"same for {sizes[0]} and {sizes[-1]} MiB", f"differ by {mebibytes(spread)}", "",
                    "", f"≤ {MEMORY_SAME_MIB} MiB", verdict(spread, MEMORY_SAME_MIB)))
    table_rows = [[f"{size} MiB" + (" (baseline)" if size == BASELINE_SIZE else ""),
                   megabytes(synthetic_tar_bytes(ctx, size)), seconds(runs[size].wall_s),
                   mebibytes(runs[size].peak_rss_mib), mebibytes(runs[size].peak_rss_mib - baseline)]
                  for size in [BASELINE_SIZE, *sizes]]
    table = markdown_table(["synthetic layer", "tar", "median wall", "median peak RSS", "above baseline"],
                           table_rows)
    details = {"baseline_mib": baseline, "above_baseline_mib": above, "spread_mib": spread}
    return Section("memory", "Memory (synthetic one-layer images, drop-bytecode)",
                   [runs[size] for size in [BASELINE_SIZE, *sizes]], details, rows, [table])


def bench_scaling(ctx: Context) -> Section:
    output, report = ctx.work / "scaling-out", ctx.work / "scaling-report.json"
    one = Measurement("ocislim --jobs 1", rewrite_argv(ctx, ctx.image, output, report, "--jobs", "1"),
                      prepare=lambda: remove(output))
    all_cores = Measurement(f"ocislim --jobs {NPROC}", rewrite_argv(ctx, ctx.image, output, report,
                                                                    "--jobs", str(NPROC)),
                            prepare=lambda: remove(output))
    measure_alternately("scaling", [one, all_cores], ctx.runs)
    speedup = one.wall_s / all_cores.wall_s

    sizes = SCALING_SIZES[ctx.mode]
    per_mib = {size: ctx.synthetic_runs[size].wall_s / (synthetic_tar_bytes(ctx, size) / 2**20) for size in sizes}
    growth = max(per_mib.values()) / min(per_mib.values())
    rows = [
        Row("scaling", f"real image, --jobs 1 → {NPROC}", seconds(all_cores.wall_s),
            f"{seconds(one.wall_s)} (--jobs 1)", f"{speedup:.2f}× speed-up", "report", "info"),
        Row("scaling", "s/MiB at " + ", ".join(f"{size}" for size in sizes) + " MiB",
            ", ".join(f"{per_mib[size] * 1000:.1f}" for size in sizes) + " ms", "", f"max/min {growth:.2f}",
            f"≤ {LINEAR_TARGET} (linear)", verdict(growth, LINEAR_TARGET)),
    ]
    size_rows = [[f"{size} MiB", megabytes(synthetic_tar_bytes(ctx, size)), seconds(ctx.synthetic_runs[size].wall_s),
                  f"{per_mib[size] * 1000:.2f} ms"] for size in sizes]
    tables = [measurement_table([all_cores, one]),
              markdown_table(["synthetic layer", "tar", "median wall", "wall per MiB of tar"], size_rows)]
    details = {"speedup": speedup, "seconds_per_mib": per_mib, "growth": growth}
    return Section("scaling", "Scaling (cores and layer size)",
                   [all_cores, one, *(ctx.synthetic_runs[size] for size in sizes)], details, rows, tables)


# MARK: 5. against peers

UMOCI_REPACK = """set -euo pipefail
umoci unpack --image "$1" "$2" > /dev/null
find "$2/rootfs" -type f -path '*/__pycache__/*.pyc' -print -delete > "$3"
umoci repack --image "$1" "$2" > /dev/null
"""

UMOCI_SQUASH = """set -euo pipefail
umoci unpack --image "$1" "$3" > /dev/null
find "$3/rootfs" -type f -path '*/__pycache__/*.pyc' -print -delete > "$5"
umoci init --layout "$2"
umoci new --image "$2:latest"
umoci unpack --image "$2:latest" "$4" > /dev/null
rmdir "$4/rootfs"
mv "$3/rootfs" "$4/rootfs"
umoci repack --image "$2:latest" "$4" > /dev/null
"""


def bench_peers(ctx: Context) -> Section:
    work = ctx.work
    output, report = work / "peers-ocislim", work / "peers-report.json"
    copy, bundle, deleted = work / "peers-umoci", work / "peers-umoci-bundle", work / "peers-umoci-deleted.txt"
    squashed, squash_bundles = work / "peers-squash", [work / "peers-squash-b1", work / "peers-squash-b2"]
    squash_deleted = work / "peers-squash-deleted.txt"
    filtered, filter_summary = work / "peers-tarfile", work / "peers-tarfile.json"

    def copy_layout() -> None:
        remove(copy, bundle)
        shutil.copytree(ctx.image, copy, symlinks=True)

    ocislim = Measurement("ocislim rewrite", rewrite_argv(ctx, ctx.image, output, report),
                          prepare=lambda: remove(output))
    umoci = Measurement("umoci unpack, delete, repack",
                        ["bash", "-c", UMOCI_REPACK, "umoci-route", f"{copy}:{ctx.tag}", str(bundle), str(deleted)],
                        prepare=copy_layout)
    squash = Measurement("umoci squash to 1 layer",
                         ["bash", "-c", UMOCI_SQUASH, "umoci-squash", f"{ctx.image}:{ctx.tag}", str(squashed),
                          *map(str, squash_bundles), str(squash_deleted)],
                         prepare=lambda: remove(squashed, *squash_bundles))
    tarfile_filter = Measurement("Python tarfile + gzip filter",
                                 [sys.executable, "scripts/peer-tarfile-filter.py", str(ctx.image), str(filtered)],
                                 prepare=lambda: remove(filtered), stdout_path=filter_summary)
    measurements = [ocislim, umoci, squash, tarfile_filter]
    measure_alternately("peers", measurements, ctx.runs)

    outputs = {ocislim.label: (output, ctx.tag), umoci.label: (copy, ctx.tag), squash.label: (squashed, "latest"),
               tarfile_filter.label: (filtered, ctx.tag)}
    files_removed = {ocislim.label: read_json(report)["totals"]["filesRemoved"],
                     umoci.label: len(deleted.read_text().splitlines()),
                     squash.label: len(squash_deleted.read_text().splitlines()),
                     tarfile_filter.label: read_json(filter_summary)["files_dropped"]}
    input_bytes, input_layers = layer_bytes(ctx.image, ctx.tag)
    results = []
    for m in measurements:
        layout, tag = outputs[m.label]
        size, count = layer_bytes(layout, tag)
        results.append({"label": m.label, "wall_s": m.wall_s, "peak_rss_mib": m.peak_rss_mib, "layer_bytes": size,
                        "layers": count, "files_removed": files_removed[m.label], "valid": validate(layout, tag)})
    remove(bundle, *squash_bundles)

    mine = results[0]
    rows = []
    for peer in results[1:]:
        rows.append(Row("peers", f"wall vs {peer['label']}", seconds(mine["wall_s"]), seconds(peer["wall_s"]),
                        times(mine["wall_s"] / peer["wall_s"]), "report", "info"))
        rows.append(Row("peers", f"size vs {peer['label']}", megabytes(mine["layer_bytes"]),
                        megabytes(peer["layer_bytes"]), times(mine["layer_bytes"] / peer["layer_bytes"]), "report",
                        "info" if peer["valid"] else "INVALID"))
    table_rows = [[r["label"], seconds(r["wall_s"]), times(r["wall_s"] / mine["wall_s"]), mebibytes(r["peak_rss_mib"]),
                   megabytes(r["layer_bytes"]), str(r["layers"]), str(r["files_removed"]),
                   "yes" if r["valid"] else "NO", ", ".join(f"{run.wall_s:.2f}" for run in m.runs)]
                  for r, m in zip(results, measurements)]
    table_rows.append(["input image", "", "", "", megabytes(input_bytes), str(input_layers), "", "", ""])
    table = markdown_table(["route", "median wall", "vs ocislim", "median peak RSS", "layer blobs", "layers",
                            "files removed", "valid (oci-image-tool)", "runs (s)"], table_rows)
    note = (f"umoci: the layout is copied before each run (not timed); `umoci repack` keeps the {input_layers} "
            "layers and adds one of whiteouts. umoci squash: the same rootfs repacked into a new one-layer image "
            "(config not kept). Python: `scripts/peer-tarfile-filter.py` (tarfile, gzip level 6, no markers).")
    details = {"results": results, "input_bytes": input_bytes, "input_layers": input_layers,
               "umoci_copy_timed": False}
    return Section("peers", "Against peers (real image, drop-bytecode)", measurements, details, rows,
                   [table + "\n\n" + note])


# MARK: machine, results, chart

def first_line(argv: list[str]) -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True)
    except FileNotFoundError:
        return "not installed"
    return ((completed.stdout or completed.stderr).strip().splitlines() or [""])[0]


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def machine_info(ctx: Context) -> dict:
    with open("/proc/meminfo") as f:
        memory_kib = int(f.readline().split()[1])
    binary_dir = str(Path(ctx.ocislim).resolve().parent)
    describe = ["describe", "--always", "--dirty", "--abbrev=12"]
    return {
        "nproc": NPROC, "cpu": cpu_model(), "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(), "os": first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "pigz": first_line(["pigz", "--version"]), "gzip": first_line(["gzip", "--version"]),
        "umoci": first_line(["umoci", "--version"]), "python": platform.python_version(),
        "swift": first_line(["swift", "--version"]),
        "ocislim": ctx.ocislim, "ocislim_commit": first_line(["git", "-C", binary_dir, *describe]),
        "repository_commit": first_line(["git", *describe]),
    }


def write_markdown(path: Path, sections: list[Section], machine: dict, ctx: Context, command: str) -> None:
    lines = [f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, {machine['os']}; "
             f"{machine['pigz']}, {machine['gzip']}, {machine['umoci']}, Python {machine['python']}; "
             f"ocislim {machine['ocislim_commit']}. "
             + (f"Medians of {ctx.runs} alternating runs (ocislim, peer, ocislim, …)." if ctx.runs > 1
                else "One run of each command."),
             "", "```sh", command, "```", "", summary_table(sections)]
    for section in sections:
        lines += ["", f"### {section.title}"]
        for table in section.tables:
            lines += ["", table]
    path.write_text("\n".join(lines).rstrip() + "\n")


def ensure_matplotlib() -> Path:
    """A venv under .cache/bench with matplotlib (made on first use); returns its python."""
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import matplotlib"]).returncode == 0:
        return python
    log(f"chart: installing matplotlib into {VENV} (once)")
    remove(VENV)
    run_checked([sys.executable, "-m", "venv", str(VENV)])
    run_checked([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "matplotlib"])
    return python


def draw_chart(results_path: Path, chart_path: Path) -> None:
    """Two panels a row, for the sections found in results.json: time and size against the peers, memory, scaling."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = read_json(results_path)
    sections = results["sections"]
    panels = [panel for key, panel in CHART_PANELS if key in sections]
    if not panels:
        return
    rows = (len(panels) + 1) // 2
    figure, axes = plt.subplots(rows, 2, figsize=(13, 3.2 * rows + 0.8), squeeze=False)
    for axis, panel in zip(axes.flat, panels):
        panel(axis, sections)
    for axis in list(axes.flat)[len(panels):]:
        axis.axis("off")
    machine, runs = results["machine"], results["settings"]["runs"]
    figure.suptitle(f"ocislim vs peers: median of {runs} run{'s' if runs > 1 else ''}, {machine['nproc']} cores "
                    f"({machine['cpu']}), ocislim {machine['ocislim_commit']}", fontsize=12)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(chart_path, dpi=110)


OCISLIM_COLOR, PEER_COLOR, TARGET_COLOR = "#1f6fb4", "#a9a9a9", "#c0392b"


def bars(axis, labels: list[str], values: list[float], unit: str, title: str, target: float | None = None) -> None:
    """Horizontal bars, top to bottom in the given order, ocislim's in colour, each labelled with its value;
    a dashed red line at the target, if any."""
    colors = [OCISLIM_COLOR if label.startswith("ocislim") else PEER_COLOR for label in labels]
    positions = list(range(len(labels)))[::-1]
    axis.barh(positions, values, color=colors, height=0.6)
    axis.set_yticks(positions, labels)
    largest = max(values + ([target] if target else []))
    for position, value in zip(positions, values):
        text = f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"
        axis.text(value + largest * 0.01, position, text, va="center", fontsize=9)
    if target is not None:
        axis.axvline(target, color=TARGET_COLOR, linestyle="--", linewidth=1)
    axis.set_xlim(0, largest * 1.22)
    axis.set_xlabel(unit)
    axis.set_title(title, fontsize=10, loc="left")
    axis.spines[["top", "right"]].set_visible(False)


def medians(section: dict) -> dict[str, float]:
    return {m["label"]: m["median_wall_s"] for m in section["measurements"]}


def panel_rewrite_time(axis, sections: dict) -> None:
    walls = medians(sections["rewrite"])
    bars(axis, list(walls), list(walls.values()), "s",
         f"Rewrite, real image: wall time (dashed: target {REWRITE_TIME_TARGET}× peer)",
         REWRITE_TIME_TARGET * list(walls.values())[1])


def panel_rewrite_size(axis, sections: dict) -> None:
    details = sections["rewrite"]["details"]
    bars(axis, ["ocislim (changed layers)", "pigz -6 of the same tars"],
         [details["ocislim_bytes"] / 1e6, details["pigz_bytes"] / 1e6], "MB",
         f"Rewrite: changed layers compressed (dashed: {REWRITE_SIZE_TARGET}× pigz)",
         REWRITE_SIZE_TARGET * details["pigz_bytes"] / 1e6)


def panel_peers_time(axis, sections: dict) -> None:
    results = sections["peers"]["details"]["results"]
    bars(axis, [r["label"] for r in results], [r["wall_s"] for r in results], "s",
         "Against peers, drop-bytecode: wall time")


def panel_peers_size(axis, sections: dict) -> None:
    details = sections["peers"]["details"]
    bars(axis, [r["label"] for r in details["results"]], [r["layer_bytes"] / 1e6 for r in details["results"]],
         "MB", "Against peers: all layers compressed (dashed: input image)", details["input_bytes"] / 1e6)


def panel_passthrough(axis, sections: dict) -> None:
    section = sections["passthrough"]
    walls, details = medians(section), section["details"]
    state = "unchanged" if details["unchanged"] else "CHANGED"
    bars(axis, list(walls), list(walls.values()), "s",
         f"Pass-through layer ({details['layer_bytes'] / 1e6:.0f} MB, {state}): wall time\n"
         f"(dashed: target {PASSTHROUGH_TARGET}× gzip -dc)", PASSTHROUGH_TARGET * walls["gzip -dc"])


def panel_jobs(axis, sections: dict) -> None:
    walls = {label: wall for label, wall in medians(sections["scaling"]).items() if "--jobs" in label}
    bars(axis, list(walls), list(walls.values()), "s",
         f"Real image, 1 and all cores: {sections['scaling']['details']['speedup']:.2f}× speed-up")


def panel_memory(axis, sections: dict) -> None:
    memory = sections["memory"]
    rss = {f"ocislim, {m['label']} layer": m["median_peak_rss_mib"] for m in memory["measurements"]}
    bars(axis, list(rss), list(rss.values()), "MiB",
         f"Peak RSS, synthetic layers (dashed: baseline + {MEMORY_TARGET_MIB} MiB)",
         memory["details"]["baseline_mib"] + MEMORY_TARGET_MIB)


def panel_per_mib(axis, sections: dict) -> None:
    details = sections["scaling"]["details"]
    per_mib = {f"ocislim, {size} MiB layer": value * 1000 for size, value in details["seconds_per_mib"].items()}
    bars(axis, list(per_mib), list(per_mib.values()), "ms/MiB",
         f"Wall time per MiB of tar (max/min {details['growth']:.2f}; linear: ≤ {LINEAR_TARGET})")


CHART_PANELS = [("rewrite", panel_rewrite_time), ("rewrite", panel_rewrite_size), ("peers", panel_peers_time),
                ("peers", panel_peers_size), ("passthrough", panel_passthrough), ("scaling", panel_jobs),
                ("memory", panel_memory), ("scaling", panel_per_mib)]


# MARK: main

# MARK: 6. building blocks against the reference tools

BASE_TAR = Path(".cache/bench/base-layer.tar")


def ensure_base_tar(ctx: Context) -> tuple[Path, Path]:
    """The real image's largest layer blob, and its tar (decompressed once; cached)."""
    blob = max((blob_path(ctx.image, layer["digest"]) for layer in image_manifest(ctx.image, ctx.tag)["layers"]),
               key=lambda path: path.stat().st_size)
    if not BASE_TAR.exists():
        partial = BASE_TAR.with_suffix(".partial")
        run_checked(["bash", "-c", f"pigz -dc {shlex.quote(str(blob))} > {shlex.quote(str(partial))}"])
        partial.rename(BASE_TAR)
    return blob, BASE_TAR


def openssl_sha256_mb_s() -> float:
    """`openssl speed -evp sha256` on 1 MiB blocks, in MB/s."""
    output = run_checked(["openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", "2"],
                         stdout=subprocess.PIPE)
    return float(output.strip().splitlines()[-1].split()[-1].rstrip("k")) * 1000 / 1e6


def bench_components(ctx: Context) -> Section:
    """ocislim-bench (the same code as ocislim's pipeline) against the tools each block is measured by."""
    bench = str(Path(ctx.ocislim).with_name("ocislim-bench"))
    blob, tar = ensure_base_tar(ctx)
    tar_bytes = tar.stat().st_size
    outputs = {name: ctx.work / f"components-{name}.txt" for name in ("sha", "inflate", "deflate1", "deflateN")}
    ours = {
        "sha": Measurement("ocislim-bench sha256", [bench, "sha256", str(tar)], stdout_path=outputs["sha"]),
        "inflate": Measurement("ocislim-bench inflate (ISA-L)", [bench, "inflate", str(blob)],
                               stdout_path=outputs["inflate"]),
        "deflate1": Measurement("ocislim-bench deflate, 1 thread", [bench, "deflate", str(tar), "1"],
                                stdout_path=outputs["deflate1"]),
        "deflateN": Measurement(f"ocislim-bench deflate, {NPROC} threads", [bench, "deflate", str(tar), str(NPROC)],
                                stdout_path=outputs["deflateN"]),
    }
    peers = {
        "igzip": Measurement("igzip -dc", ["igzip", "-dc", str(blob)]),
        "gzip": Measurement("gzip -dc", ["gzip", "-dc", str(blob)]),
        "pigz1": Measurement("pigz -6 -p1", ["pigz", "-6", "-p1", "-c", str(tar)]),
        "pigzN": Measurement(f"pigz -6 -p{NPROC}", ["pigz", "-6", f"-p{NPROC}", "-c", str(tar)]),
    }
    measure_alternately("components", [ours["sha"], ours["inflate"], peers["igzip"], peers["gzip"],
                                       ours["deflate1"], peers["pigz1"], ours["deflateN"], peers["pigzN"]], ctx.runs)
    # Each ocislim-bench run prints: what, input bytes, output bytes, seconds, MB/s; the last run's line is kept.
    printed = {name: path.read_text().split() for name, path in outputs.items()}
    sha_mb_s = statistics.median([tar_bytes / run.wall_s / 1e6 for run in ours["sha"].runs])
    inner_sha_mb_s = float(printed["sha"][4])
    openssl_mb_s = openssl_sha256_mb_s()
    deflated = int(printed["deflateN"][2])
    pigz_size = int(run_checked(["bash", "-c", f"pigz -6 -p{NPROC} -c {shlex.quote(str(tar))} | wc -c"],
                                stdout=subprocess.PIPE))
    rows = [
        Row("components", "SHA-256 (EVP), in-process MB/s", f"{inner_sha_mb_s:.0f} MB/s",
            f"{openssl_mb_s:.0f} MB/s (openssl speed)", times(inner_sha_mb_s / openssl_mb_s), "near 1×", "info"),
        Row("components", f"inflate {megabytes(blob.stat().st_size)} layer", seconds(ours["inflate"].wall_s),
            f"{seconds(peers['gzip'].wall_s)} (gzip -dc)", times(ours["inflate"].wall_s / peers["gzip"].wall_s),
            "report", "info"),
        Row("components", f"deflate 1 → {NPROC} threads", seconds(ours["deflateN"].wall_s),
            f"{seconds(ours['deflate1'].wall_s)} (1 thread)",
            f"{ours['deflate1'].wall_s / ours['deflateN'].wall_s:.2f}× speed-up", "report", "info"),
        Row("components", f"deflate, {NPROC} threads: time", seconds(ours["deflateN"].wall_s),
            f"{seconds(peers['pigzN'].wall_s)} (pigz -6 -p{NPROC})",
            times(ours["deflateN"].wall_s / peers["pigzN"].wall_s), "report", "info"),
        Row("components", "deflate: size", megabytes(deflated), f"{megabytes(pigz_size)} (pigz -6)",
            times(deflated / pigz_size), f"≤ {REWRITE_SIZE_TARGET}×", verdict(deflated / pigz_size,
                                                                            REWRITE_SIZE_TARGET)),
    ]
    details = {"tar_bytes": tar_bytes, "sha256_mb_s": inner_sha_mb_s, "sha256_process_mb_s": sha_mb_s,
               "openssl_speed_mb_s": openssl_mb_s, "deflate_bytes": deflated, "pigz_bytes": pigz_size}
    table = measurement_table([*ours.values(), *peers.values()]) + (
        f"\n\nInput: the real image's base layer, {megabytes(blob.stat().st_size)} gzip, {megabytes(tar_bytes)} tar. "
        "ocislim-bench runs each block of ocislim's pipeline alone, in memory; its times include reading the file.")
    return Section("components", "Building blocks against reference tools", [*ours.values(), *peers.values()],
                   details, rows, [table])


SECTION_FUNCTIONS = {"rewrite": bench_rewrite, "passthrough": bench_passthrough, "memory": bench_memory,
                     "scaling": bench_scaling, "peers": bench_peers, "components": bench_components}


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, help="runs of each command (default 5, or 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: one run, small synthetic images")
    parser.add_argument("--only", help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    parser.add_argument("--out", type=Path, help="results directory (default .cache/bench for a full run, "
                                                 ".cache/bench/quick or .cache/bench/SECTION-… otherwise)")
    parser.add_argument("--chart", type=Path, help="chart PNG (default docs/benchmarks.png for a full run, "
                                                   "OUT/benchmarks.png otherwise)")
    parser.add_argument("--chart-from", type=Path, help="only redraw the chart from this results.json")
    arguments = parser.parse_args()
    arguments.only = arguments.only.split(",") if arguments.only else SECTIONS
    unknown = set(arguments.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    arguments.runs = arguments.runs or (1 if arguments.quick else 5)
    if arguments.runs < 1:
        parser.error("--runs must be at least 1")
    # Only a full run of every section may replace the published results and chart.
    full = not arguments.quick and arguments.only == SECTIONS
    default_out = "" if full else "quick" if arguments.quick else "-".join(arguments.only)
    arguments.out = arguments.out or Path(".cache/bench") / default_out
    arguments.chart = arguments.chart or (Path("docs/benchmarks.png") if full else arguments.out / "benchmarks.png")
    return arguments


def main() -> int:
    os.chdir(REPO)
    arguments = parse_arguments()
    if arguments.chart_from:
        draw_chart(arguments.chart_from, arguments.chart)
        return 0
    ocislim = os.environ.get("OCISLIM", ".build/release/ocislim")
    if not os.access(ocislim, os.X_OK):
        print(f"bench: no ocislim binary at {ocislim} (make release, or set OCISLIM)", file=sys.stderr)
        return 1
    command = shlex.join(["python3", "scripts/bench.py", *sys.argv[1:]])
    started = time.monotonic()
    ctx = Context(ocislim=os.path.abspath(ocislim), runs=arguments.runs, quick=arguments.quick,
                  work=arguments.out / "work")
    try:
        chart_python = ensure_matplotlib()
        remove(ctx.work)
        ctx.work.mkdir(parents=True)
        if {"rewrite", "passthrough", "scaling", "peers"} & set(arguments.only):
            ensure_real_image()
            ctx.tag = image_tag(ctx.image)
        sizes, synthetic_duration = synthetic_sizes(ctx, arguments.only), 0.0
        if sizes:
            synthetic_start = time.monotonic()
            ctx.synthetic_runs = measure_synthetic(ctx, sizes)
            synthetic_duration = time.monotonic() - synthetic_start
            log(f"synthetic runs (for memory and scaling): done in {synthetic_duration:.0f} s")
        sections = []
        for key in SECTIONS:
            if key in arguments.only:
                section_start = time.monotonic()
                section = SECTION_FUNCTIONS[key](ctx)
                section.duration_s = time.monotonic() - section_start
                sections.append(section)
                log(f"{key}: done in {section.duration_s:.0f} s")
    except CommandFailed as failure:
        print(f"bench: command failed: {failure}", file=sys.stderr)
        return 1

    machine = machine_info(ctx)
    results = {"machine": machine,
               "settings": {"runs": ctx.runs, "quick": ctx.quick, "command": command, "image": str(ctx.image),
                            "tag": ctx.tag, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                            "duration_s": round(time.monotonic() - started, 1),
                            "synthetic_duration_s": round(synthetic_duration, 1)},
               "sections": {section.key: section.to_json() for section in sections},
               "summary": [asdict(row) for section in sections for row in section.rows]}
    arguments.out.mkdir(parents=True, exist_ok=True)
    results_path = arguments.out / "results.json"
    results_path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    write_markdown(arguments.out / "results.md", sections, machine, ctx, command)
    run_checked([str(chart_python), __file__, "--chart-from", str(results_path), "--chart", str(arguments.chart)])
    remove(ctx.work)
    print(summary_table(sections))
    print(f"\nresults: {results_path}, {arguments.out / 'results.md'}; chart: {arguments.chart}; "
          f"{results['settings']['duration_s']:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
