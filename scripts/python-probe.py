#!/usr/bin/env python3
"""python-probe.py — which modules import with this interpreter? Run INSIDE an image rootfs.

Usage (the script is read from stdin, so nothing is copied into the rootfs):

    scripts/chroot-python.sh ROOTFS /usr/bin/python3 - < scripts/python-probe.py
    scripts/chroot-python.sh ROOTFS /opt/venv/bin/python - < scripts/python-probe.py

Prints one line per module, sorted by name: ``name<TAB>ok`` or ``name<TAB>FAIL:ExceptionName``
(``FAIL:Timeout`` or ``FAIL:exit-N`` / ``FAIL:signal-N`` when the child died). A summary goes
to stderr. ocislim's e2e test compares this output before and after rewriting an image.

Modules probed:
  * every name in ``sys.stdlib_module_names`` except those with side effects on import or
    that need a display (antigravity, this, idlelib, tkinter, turtle, turtledemo, __main__)
    and test packages;
  * every top-level module or package that ``pkgutil.iter_modules`` finds in the
    site-packages / dist-packages directories on ``sys.path``.

Each module is imported in a fresh child interpreter (``sys.executable``), so that one
import cannot mask or break another, and results do not depend on import order. Children
run a few at a time. They inherit the environment unchanged: Python writes or skips
bytecode exactly as the image's Env says (e2e checks that drop-bytecode images stay
pyc-free). The probe itself writes nothing.

Works with Python >= 3.10 (sys.stdlib_module_names). Python 2-era syntax avoided on purpose.
"""
import concurrent.futures
import os
import pkgutil
import subprocess
import sys
import time

# Side effects on import (opens a browser, prints the Zen) or GUI/display needed.
SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__main__"}
CHILD_TIMEOUT = 60  # seconds per import; a hang is reported as FAIL:Timeout
MARKER = "@@ocislim-probe@@"

# The child: drop the '' that -c puts first on sys.path (cwd is "/" under chroot, and a
# directory there must not shadow anything), import, report on a marker line.
CHILD = r"""
import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
name = sys.argv[1]
try:
    __import__(name)
    result = "ok"
except BaseException as exc:
    result = "FAIL:" + type(exc).__name__
try:
    sys.stdout.flush()
except BaseException:
    pass
sys.__stdout__.write("\n%s%s\n" % (sys.argv[2], result))
sys.__stdout__.flush()
"""


def is_test_package(name):
    return name == "test" or name.startswith(("test_", "_test", "_xxtest")) or name.endswith("_tests")


def stdlib_names():
    return {n for n in sys.stdlib_module_names if n not in SKIP and not is_test_package(n)}


def site_dirs():
    """site-packages and dist-packages directories on sys.path, in sys.path order."""
    seen = []
    for entry in sys.path:
        if os.path.basename(entry.rstrip("/")) in ("site-packages", "dist-packages") and os.path.isdir(entry):
            if entry not in seen:
                seen.append(entry)
    return seen


def site_names(dirs):
    return {info.name for info in pkgutil.iter_modules(dirs) if info.name not in SKIP}


def probe(name):
    """Import NAME in a fresh interpreter; return 'ok' or 'FAIL:...'."""
    try:
        # stdin is a pipe we close (no /dev/null needed inside a bare rootfs);
        # close_fds=False: nothing to close, and no /proc needed to find fds.
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, name, MARKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=CHILD_TIMEOUT,
            close_fds=False,
        )
    except subprocess.TimeoutExpired:
        return "FAIL:Timeout"
    for line in reversed(proc.stdout.decode("utf-8", "replace").splitlines()):
        if line.startswith(MARKER):
            return line[len(MARKER):]
    if proc.returncode < 0:
        return "FAIL:signal-%d" % -proc.returncode
    return "FAIL:exit-%d" % proc.returncode


def main():
    started = time.monotonic()
    dirs = site_dirs()
    names = sorted(stdlib_names() | site_names(dirs))
    workers = max(1, min(4, os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip(names, pool.map(probe, names)))
    out = sys.stdout
    for name in names:
        out.write("%s\t%s\n" % (name, results[name]))
    out.flush()
    ok = sum(1 for r in results.values() if r == "ok")
    sys.stderr.write(
        "python-probe: %s: %d modules, %d ok, %d failed, site dirs %s, %.1f s\n"
        % (sys.executable, len(names), ok, len(names) - ok, ":".join(dirs) or "-", time.monotonic() - started)
    )


if __name__ == "__main__":
    main()
