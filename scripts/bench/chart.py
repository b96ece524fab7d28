"""The PNG: two panels a row, drawn from results.json by the Python of a venv that has matplotlib."""
import subprocess
import sys
from pathlib import Path

from .layouts import read_json
from .measure import log, remove, run_checked
from .targets import (LINEAR_TARGET, MEMORY_TARGET_MIB, PASSTHROUGH_TARGET, REWRITE_SIZE_TARGET,
                      REWRITE_TIME_TARGET)


VENV = Path(".cache/bench/venv")


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
