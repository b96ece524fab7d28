#!/usr/bin/env python3
"""Median import time of a dozen common modules, in a chroot of the original image and of each rewrite.

usage: bench-startup.py IMAGE_LAYOUT WORKDIR [RUNS]
Needs root (chroot), umoci and an ocislim binary in $OCISLIM. Each rootfs runs with its image config's Env, so
drop-bytecode images run with PYTHONDONTWRITEBYTECODE=1, as they would in a container.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

MODULES = "json, email.parser, yaml, requests, decimal, sqlite3, argparse, subprocess, http.client, xml.dom.minidom, " \
          "logging, asyncio"
STRATEGIES = ["dedup", "drop-optimized", "drop-bytecode"]


def image_env(layout: str) -> list[str]:
    index = json.load(open(os.path.join(layout, "index.json")))
    blob = lambda d: os.path.join(layout, "blobs", "sha256", d.split(":")[1])
    manifest = json.load(open(blob(index["manifests"][0]["digest"])))
    config = json.load(open(blob(manifest["config"]["digest"])))
    return config.get("config", {}).get("Env", [])


def unpack(layout: str, bundle: str) -> None:
    if not os.path.isdir(os.path.join(bundle, "rootfs")):
        shutil.rmtree(bundle, ignore_errors=True)
        subprocess.run(["umoci", "unpack", "--image", layout + ":latest", bundle], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def median_ms(rootfs: str, env: list[str], runs: int) -> float:
    command = ["chroot", rootfs, "/usr/bin/env", "-i", *env, "/usr/bin/python3", "-c", f"import {MODULES}"]
    subprocess.run(command, check=True)  # warm the page cache (and, with bytecode writes allowed, __pycache__)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    image, work = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    ocislim = os.environ.get("OCISLIM", ".build/release/ocislim")
    os.makedirs(work, exist_ok=True)
    layouts = {"original": image}
    for strategy in STRATEGIES:
        out = os.path.join(work, strategy)
        if not os.path.exists(os.path.join(out, "index.json")):
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run([ocislim, "rewrite", "-q", "--strategy", strategy, image, out], check=True,
                           stdout=subprocess.DEVNULL)
        layouts[strategy] = out
    print(f"median of {runs} runs: python3 -c 'import {MODULES}'")
    print(f"{'image':16} {'ms':>8} {'vs original':>12}")
    baseline = None
    for name, layout in layouts.items():
        bundle = os.path.join(work, "bundle-" + name)
        unpack(layout, bundle)
        ms = median_ms(os.path.join(bundle, "rootfs"), image_env(layout), runs)
        baseline = baseline or ms
        print(f"{name:16} {ms:8.1f} {ms / baseline:11.2f}x")


if __name__ == "__main__":
    main()
