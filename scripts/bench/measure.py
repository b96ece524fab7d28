"""Running and timing commands: medians of alternating runs, peak RSS by GNU time, the machine they ran on."""
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable


NPROC = os.cpu_count() or 1


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


class CommandFailed(Exception):
    """A benchmarked or helper command exited with a non-zero status."""


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


def machine_info(ocislim: str) -> dict:
    """The machine, the tools' versions and the commits of the binary and the repository, for the results."""
    with open("/proc/meminfo") as f:
        memory_kib = int(f.readline().split()[1])
    binary_dir = str(Path(ocislim).resolve().parent)
    describe = ["describe", "--always", "--dirty", "--abbrev=12"]
    return {
        "nproc": NPROC, "cpu": cpu_model(), "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(), "os": first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "pigz": first_line(["pigz", "--version"]), "gzip": first_line(["gzip", "--version"]),
        "umoci": first_line(["umoci", "--version"]), "python": platform.python_version(),
        "swift": first_line(["swift", "--version"]),
        "ocislim": ocislim, "ocislim_commit": first_line(["git", "-C", binary_dir, *describe]),
        "repository_commit": first_line(["git", *describe]),
    }
