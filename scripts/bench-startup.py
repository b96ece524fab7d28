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
STRATEGIES = {
    "dedup": ["--strategy", "dedup"],
    "drop-optimized": ["--strategy", "drop-optimized"],
    "drop-bytecode": ["--strategy", "drop-bytecode"],
    "sourceless": ["--strategy", "sourceless"],
    "sourceless+hook": ["--strategy", "sourceless", "--source-hook"],
}


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


def command(rootfs: str, env: list[str]) -> list[str]:
    return ["chroot", rootfs, "/usr/bin/env", "-i", *env, "/usr/bin/python3", "-c", f"import {MODULES}"]


def timed_ms(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    image, work = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    ocislim = os.environ.get("OCISLIM", ".build-static/release/ocislim")
    os.makedirs(work, exist_ok=True)
    layouts = {"original": image}
    for name, arguments in STRATEGIES.items():
        out = os.path.join(work, name)
        if not os.path.exists(os.path.join(out, "index.json")):
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run([ocislim, "rewrite", "-q", *arguments, image, out], check=True, stdout=subprocess.DEVNULL)
        layouts[name] = out
    commands = {}
    for name, layout in layouts.items():
        bundle = os.path.join(work, "bundle-" + name)
        unpack(layout, bundle)
        commands[name] = command(os.path.join(bundle, "rootfs"), image_env(layout))
        subprocess.run(commands[name], check=True)  # warm the page cache
    # Rounds interleave the images, so drift in the machine's speed affects them alike.
    samples = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(timed_ms(argv))
    print(f"median of {runs} interleaved runs: python3 -c 'import {MODULES}'")
    print(f"{'image':16} {'ms':>8} {'vs original':>12}")
    baseline = statistics.median(samples["original"])
    for name, values in samples.items():
        ms = statistics.median(values)
        print(f"{name:16} {ms:8.1f} {ms / baseline:11.2f}x")


if __name__ == "__main__":
    main()
