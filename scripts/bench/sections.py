"""The sections: each runs its commands against their peers and returns a Section (rows and tables)."""
import os
import shlex
import shutil
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .layouts import (REAL_IMAGE, blob_path, ensure_base_tar, ensure_passthrough_image, image_manifest, layer_bytes,
                      read_json, synthetic_image, validate)
from .measure import NPROC, CommandFailed, Measurement, log, measure_alternately, remove, run_checked
from .tables import Row, Section, markdown_table, measurement_table, megabytes, mebibytes, seconds, times, verdict
from .targets import (BASELINE_SIZE, LINEAR_TARGET, MEMORY_SAME_MIB, MEMORY_SIZES, MEMORY_TARGET_MIB,
                      PASSTHROUGH_TARGET, REWRITE_SIZE_TARGET, REWRITE_TIME_TARGET, SCALING_SIZES)


SECTIONS = ["rewrite", "passthrough", "memory", "scaling", "peers", "archives", "fleet", "components"]


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


def rewrite_argv(ctx: Context, image: Path, output: Path, report: Path, *extra: str) -> list[str]:
    return [ctx.ocislim, "rewrite", "-q", "--strategy", "drop-bytecode", "--json", "--report", str(report),
            *extra, str(image), str(output)]


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

def bench_passthrough(ctx: Context) -> Section:
    image = ensure_passthrough_image(ctx.image, ctx.tag)
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


# MARK: 6. docker save archive in, archive out

ARCHIVE_ROUTE = """set -euo pipefail
archive=$1 work=$2 ocislim=$3
rm -rf "$work/in" "$work/out" "$work/out.tar"
skopeo copy -q "docker-archive:$archive" "oci:$work/in:latest"
"$ocislim" rewrite -q --strategy drop-bytecode "oci:$work/in:latest" "oci:$work/out:latest" > /dev/null
skopeo copy -q "oci:$work/out:latest" "docker-archive:$work/out.tar:ocislim/bench:latest"
"""


def bench_archives(ctx: Context) -> Section:
    """Issue 9's row: a `docker save` archive in, an archive out — directly, against the route users took before
    (skopeo to a layout, ocislim, skopeo back to an archive)."""
    archive = ctx.work / "archives-in.tar"
    if not archive.exists():
        log("archives: making a docker-archive of the real image with skopeo (once)")
        run_checked(["skopeo", "copy", "-q", f"oci:{ctx.image}:{ctx.tag}",
                     f"docker-archive:{archive}:ocislim/bench:latest"])
    direct_out = ctx.work / "archives-direct.tar"
    route_work = ctx.work / "archives-route"
    route_work.mkdir(parents=True, exist_ok=True)
    direct = Measurement("ocislim rewrite app.tar out.tar",
                         [ctx.ocislim, "rewrite", "-q", "--strategy", "drop-bytecode", "--json", str(archive),
                          str(direct_out)], prepare=lambda: direct_out.unlink(missing_ok=True),
                         stdout_path=ctx.work / "archives.json")
    route = Measurement("skopeo → oci: → ocislim → skopeo → archive",
                        ["bash", "-c", ARCHIVE_ROUTE, "archive-route", str(archive), str(route_work), ctx.ocislim])
    measure_alternately("archives", [direct, route], ctx.runs)
    direct_bytes = direct_out.stat().st_size
    route_bytes = (route_work / "out.tar").stat().st_size
    ratio = direct.wall_s / route.wall_s
    rows = [
        Row("archives", "docker save archive → archive", seconds(direct.wall_s), seconds(route.wall_s),
            times(ratio), "report", "info"),
        Row("archives", "archive size", megabytes(direct_bytes), megabytes(route_bytes),
            times(direct_bytes / route_bytes), "report", "info"),
    ]
    note = ("Input: `skopeo copy oci:IMAGE docker-archive:` of the real image (uncompressed layers, as `docker "
            "save` writes them). ocislim reads the archive in place by offset and writes the same shape; the route "
            "unpacks it into a layout with skopeo (which gzips every layer), rewrites, and has skopeo write an "
            "archive again (which decompresses every layer).")
    details = {"direct_bytes": direct_bytes, "route_bytes": route_bytes, "time_ratio": ratio}
    return Section("archives", "docker save archive in, archive out (real image, drop-bytecode)", [direct, route],
                   details, rows, [measurement_table([direct, route]) + "\n\n" + note])


# MARK: 7. a fleet sharing a base, with and without --cache

# BENCH_FLEET moves the fixture (made there when missing).
FLEET = Path(os.environ.get("BENCH_FLEET", ".cache/images/fleet"))
FLEET_IMAGES = ["app", "deleter", "extra-py", "config"]
FLEET_RUNS = """set -euo pipefail
fleet=$1 work=$2 ocislim=$3 cache=$4
shift 4
options=()
[[ $cache == - ]] || options=(--cache "$cache")
mkdir -p "$work"
for name in "$@"; do
    "$ocislim" rewrite -q --strategy drop-bytecode "${options[@]}" "oci:$fleet:$name" "$work/$name" > /dev/null
done
"""


def bench_fleet(ctx: Context) -> Section:
    """Issue 11's row: N images sharing the real image's layers (scripts/make-fleet-fixture.sh), rewritten one after
    another through one --cache (empty at the start), against the same runs without a cache and one image alone."""
    log(f"fleet: fixture {FLEET} (scripts/make-fleet-fixture.sh, cached)")
    run_checked(["bash", "scripts/make-fleet-fixture.sh", str(FLEET)])
    images = FLEET_IMAGES[:2] if ctx.quick else FLEET_IMAGES
    cache = ctx.work / "fleet-cache"

    def runs(label: str, names: list[str], use_cache: bool) -> Measurement:
        work = ctx.work / f"fleet-{label}"
        return Measurement(f"{len(names)} image{'s' if len(names) > 1 else ''}, "
                           + ("one --cache (empty at the start)" if use_cache else "no cache"),
                           ["bash", "-c", FLEET_RUNS, "fleet", str(FLEET), str(work), ctx.ocislim,
                            str(cache) if use_cache else "-", *names], prepare=lambda: remove(work, cache))

    alone = runs("alone", images[:1], False)
    uncached = runs("uncached", images, False)
    cached = runs("cached", images, True)
    measure_alternately("fleet", [alone, uncached, cached], ctx.runs)
    ratio = cached.wall_s / uncached.wall_s
    rows = [
        Row("fleet", f"{len(images)} images, one cache vs no cache", seconds(cached.wall_s), seconds(uncached.wall_s),
            times(ratio), "report", "info"),
        Row("fleet", f"{len(images)} images with a cache vs one image alone", seconds(cached.wall_s),
            seconds(alone.wall_s), times(cached.wall_s / alone.wall_s), "report", "info"),
    ]
    note = (f"The fleet: {', '.join(images)} from `scripts/make-fleet-fixture.sh` (the real image's three layers "
            "shared, one upper layer each but app), each rewritten by `ocislim rewrite --strategy drop-bytecode` in "
            "turn; outputs and the cache are removed before each run (not timed), so the first image fills the cache.")
    details = {"images": images, "cached_over_uncached": ratio, "cached_over_alone": cached.wall_s / alone.wall_s}
    return Section("fleet", "A fleet sharing a base: --cache against separate runs (real image, drop-bytecode)",
                   [alone, uncached, cached], details, rows, [measurement_table([alone, uncached, cached]) + "\n\n" + note])


# MARK: 8. building blocks against the reference tools

def openssl_sha256_mb_s() -> float:
    """`openssl speed -evp sha256` on 1 MiB blocks, in MB/s."""
    output = run_checked(["openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", "2"],
                         stdout=subprocess.PIPE)
    return float(output.strip().splitlines()[-1].split()[-1].rstrip("k")) * 1000 / 1e6


def bench_components(ctx: Context) -> Section:
    """ocislim-bench (the same code as ocislim's pipeline) against the tools each block is measured by."""
    bench = str(Path(ctx.ocislim).with_name("ocislim-bench"))
    blob, tar = ensure_base_tar(ctx.image, ctx.tag)
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


# MARK: every section, by its --only name

SECTION_FUNCTIONS = {"rewrite": bench_rewrite, "passthrough": bench_passthrough, "memory": bench_memory,
                     "scaling": bench_scaling, "peers": bench_peers, "archives": bench_archives,
                     "fleet": bench_fleet, "components": bench_components}
