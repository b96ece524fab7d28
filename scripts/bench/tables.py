"""The results as text: numbers formatted for people, markdown tables (padded to line up in a terminal too), the
summary of every section's rows, and results.md."""
from dataclasses import asdict, dataclass
from pathlib import Path

from .measure import Measurement


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


def write_markdown(path: Path, sections: list[Section], machine: dict, runs: int, command: str) -> None:
    """results.md: the machine, the command, the summary table, then each section's tables."""
    lines = [f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, {machine['os']}; "
             f"{machine['pigz']}, {machine['gzip']}, {machine['umoci']}, Python {machine['python']}; "
             f"ocislim {machine['ocislim_commit']}. "
             + (f"Medians of {runs} alternating runs (ocislim, peer, ocislim, …)." if runs > 1
                else "One run of each command."),
             "", "```sh", command, "```", "", summary_table(sections)]
    for section in sections:
        lines += ["", f"### {section.title}"]
        for table in section.tables:
            lines += ["", table]
    path.write_text("\n".join(lines).rstrip() + "\n")
