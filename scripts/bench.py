#!/usr/bin/env python3
"""`make bench`: ocislim against its peers, as medians of alternating runs on this machine.

usage: python3 scripts/bench.py [--runs N] [--quick] [--only SECTION,...] [--out DIR] [--chart PNG]
       python3 scripts/bench.py --chart-from DIR/results.json [--chart PNG]      (redraw the chart only)

Run from `make bench` (which builds the release binary first) or by hand with OCISLIM=path/to/ocislim (default
.build-static/release/ocislim). Needs root (make-test-image.sh and umoci unpack), pigz, gzip, umoci, oci-image-tool
and GNU time; the chart needs matplotlib, which is installed with pip into .cache/bench/venv on first use.

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
  fleet        The four images of scripts/make-fleet-fixture.sh (the real image's layers shared, one upper layer
               each but the first; two with --quick) rewritten one after another with drop-bytecode: through one
               --cache, empty at the start, against the same runs without a cache and against the first image
               alone. For information.
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
# The work is done by the package scripts/bench/ (its __init__.py lists the modules); this file parses the
# arguments, runs the sections chosen and writes the results.
import argparse
import datetime
import json
import os
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench.chart import draw_chart, ensure_matplotlib
from bench.layouts import ensure_real_image, image_tag
from bench.measure import CommandFailed, log, machine_info, remove, run_checked
from bench.sections import SECTION_FUNCTIONS, SECTIONS, Context, measure_synthetic, synthetic_sizes
from bench.tables import summary_table, write_markdown


REPO = Path(__file__).resolve().parent.parent


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
    ocislim = os.environ.get("OCISLIM", ".build-static/release/ocislim")
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

    machine = machine_info(ctx.ocislim)
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
    write_markdown(arguments.out / "results.md", sections, machine, ctx.runs, command)
    run_checked([str(chart_python), __file__, "--chart-from", str(results_path), "--chart", str(arguments.chart)])
    remove(ctx.work)
    print(summary_table(sections))
    print(f"\nresults: {results_path}, {arguments.out / 'results.md'}; chart: {arguments.chart}; "
          f"{results['settings']['duration_s']:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
