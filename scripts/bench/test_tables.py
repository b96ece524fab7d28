"""Self-check of the pure parts (tables, the report reading, the Python-tree filter), without running anything:

    python3 -m unittest discover -s scripts/bench -t scripts
"""
import tempfile
import unittest
from pathlib import Path

from .layouts import is_python_path
from .measure import Measurement, Run
from .sections import changed_layers
from .tables import Row, Section, markdown_table, measurement_table, summary_table, times, write_markdown


class TablesTests(unittest.TestCase):
    def test_markdown_table_pads_columns_and_escapes_pipes(self):
        self.assertEqual(markdown_table(["a", "long header"], [["x|y", "1"], ["z", "22"]]),
                         "| a    | long header |\n"
                         "|------|-------------|\n"
                         "| x\\|y | 1           |\n"
                         "| z    | 22          |")

    def test_ratios_near_one_get_three_decimals(self):
        self.assertEqual([times(0.5), times(0.96), times(1.0), times(1.05), times(2.345)],
                         ["0.50×", "0.960×", "1.000×", "1.050×", "2.35×"])

    def test_measurement_table_gives_medians_against_the_first(self):
        ocislim = Measurement("ocislim", ["ocislim"], runs=[Run(1.0, 10.0), Run(3.0, 30.0), Run(2.0, 20.0)])
        peer = Measurement("peer", ["peer"], runs=[Run(4.0, 5.0), Run(4.0, 5.0), Run(5.0, 6.0)])
        self.assertEqual(measurement_table([ocislim, peer]).splitlines()[2:],
                         ["| ocislim | 2.00 s      | 1.000×     | 20.0 MiB        | 1.00, 3.00, 2.00 |",
                          "| peer    | 4.00 s      | 2.00×      | 5.0 MiB         | 4.00, 4.00, 5.00 |"])

    def test_results_markdown_has_the_summary_then_each_section(self):
        row = Row("memory", "peak RSS", "10.0 MiB", "", "", "≤ 64 MiB", "PASS")
        section = Section("memory", "Memory", [], {}, [row], ["| t |"])
        self.assertEqual(summary_table([section]).splitlines()[-1],
                         "| memory  | peak RSS | 10.0 MiB |      |       | ≤ 64 MiB | PASS |")
        machine = {"nproc": 2, "cpu": "cpu", "memory_gib": 4.0, "os": "Debian", "pigz": "pigz 2.8",
                   "gzip": "gzip 1.12", "umoci": "umoci 0.4", "python": "3.11", "ocislim_commit": "abc"}
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "results.md"
            write_markdown(path, [section], machine, 1, "python3 scripts/bench.py --only memory")
            lines = path.read_text().splitlines()
        self.assertTrue(lines[0].endswith("ocislim abc. One run of each command."))
        self.assertEqual(lines[2:5], ["```sh", "python3 scripts/bench.py --only memory", "```"])
        self.assertEqual(lines[-3:], ["### Memory", "", "| t |"])


class ReportTests(unittest.TestCase):
    def test_changed_layers_counts_a_shared_layer_once(self):
        def layer(index, old, new, unchanged=False):
            return {"index": index, "unchanged": unchanged, "blob": {"old": old, "new": new},
                    "compressedSize": {"old": 100, "new": 60}}
        report = {"images": [{"layers": [layer(0, "a", "a", unchanged=True), layer(1, "b", "b2")]},
                             {"layers": [layer(1, "b", "b2"), layer(2, "c", "c2")]}]}
        self.assertEqual([(layer.index, layer.old_digest, layer.new_digest) for layer in changed_layers(report)],
                         [(1, "b", "b2"), (2, "c", "c2")])

    def test_python_trees(self):
        for name in ["usr/lib/python3.11/os.py", "opt/venv/lib/python3.11/site-packages/x/data.txt",
                     "app/__pycache__/m.cpython-311.pyc", "app/m.py", "usr/bin/python3"]:
            self.assertTrue(is_python_path(name), name)
        for name in ["etc/passwd", "usr/bin/bash", "usr/share/doc/pythonic/README"]:
            self.assertFalse(is_python_path(name), name)


if __name__ == "__main__":
    unittest.main()
