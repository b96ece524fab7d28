/// The Python program run by the image's own interpreter inside the sandbox, given on standard input (`python3 -`),
/// so nothing is ever written into the image root. Like `scripts/python-probe.py`, which it follows:
///
/// - `discover`: prints one JSON object: the interpreter, its version and its trees of modules, the standard
///   library's (`sys.stdlib_module_names`) and each `site-packages` or `dist-packages` directory on `sys.path`'s
///   (`pkgutil.iter_modules`), with every submodule of their packages found on disk (nothing is imported to list
///   them), each module in the first tree that has it. Left out: modules with side effects on import or that need a
///   display, `__main__` modules (they run a program), and test packages.
/// - `import SECONDS NAME…`: imports each module in a child forked for it (so no import masks or breaks another, and
///   a hang or crash costs one module), killed after SECONDS; prints one JSON line per module: `ok`, the exception's
///   last line (`ModuleNotFoundError: No module named 'x'`) and the import's wall time.
/// - `time SECONDS NAME…`: runs `python -c 'import NAME'` (`pass` for the empty name) in a fresh interpreter for
///   each module and prints its wall time, for `--startup`.
enum ProbeScript {
    static let source = #"""
        import json
        import os
        import select
        import signal
        import sys
        import time

        if sys.path and sys.path[0] in ("", "."):
            del sys.path[0]

        SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__main__"}


        def is_test_package(name):
            return (
                name in ("test", "tests")
                or name.startswith(("test_", "_test", "_xxtest"))
                or name.endswith("_tests"))


        def skipped(name):
            return name in SKIP or name == "__main__" or is_test_package(name)


        def submodules(directory, prefix, depth):
            """The modules below the package directory DIRECTORY, named PREFIX + name, found on disk."""
            import pkgutil
            found = []
            for info in pkgutil.iter_modules([directory], prefix):
                leaf = info.name[len(prefix):]
                if skipped(leaf):
                    continue
                found.append(info.name)
                if info.ispkg and depth < 8:
                    found.extend(submodules(os.path.join(directory, leaf), info.name + ".", depth + 1))
            return found


        def stdlib_names():
            names = getattr(sys, "stdlib_module_names", None)
            if names is None:
                import pkgutil
                import sysconfig
                stdlib = sysconfig.get_paths()["stdlib"]
                found = pkgutil.iter_modules([stdlib, os.path.join(stdlib, "lib-dynload")])
                names = {info.name for info in found} | set(sys.builtin_module_names)
            return sorted(n for n in names if not skipped(n))


        def site_dirs():
            seen = []
            for entry in sys.path:
                base = os.path.basename(entry.rstrip("/"))
                if base in ("site-packages", "dist-packages") and os.path.isdir(entry) and entry not in seen:
                    seen.append(entry)
            return seen


        def discover():
            import pkgutil
            import sysconfig
            stdlib_dir = sysconfig.get_paths()["stdlib"]
            top = stdlib_names()
            stdlib = []
            for name in top:
                stdlib.append(name)
                package = os.path.join(stdlib_dir, name)
                if os.path.isfile(os.path.join(package, "__init__.py")):
                    stdlib.extend(submodules(package, name + ".", 1))
            trees = [{"name": "stdlib", "path": stdlib_dir, "modules": stdlib}]
            seen = set(top)
            for directory in site_dirs():
                modules = []
                for info in pkgutil.iter_modules([directory]):
                    if skipped(info.name) or info.name in seen:
                        continue
                    seen.add(info.name)
                    modules.append(info.name)
                    if info.ispkg:
                        modules.extend(submodules(os.path.join(directory, info.name), info.name + ".", 1))
                trees.append({"name": directory, "path": directory, "modules": sorted(modules)})
            version = "%d.%d.%d" % tuple(sys.version_info[:3])
            print(json.dumps({"executable": sys.executable, "version": version, "trees": trees}))


        def child(name, pipe):
            null = os.open(os.devnull, os.O_RDWR)
            for descriptor in (0, 1, 2):
                os.dup2(null, descriptor)
            started = time.perf_counter()
            try:
                __import__(name)
                result = {"name": name, "ok": True}
            except BaseException as exc:
                import traceback
                lines = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
                result = {"name": name, "ok": False, "error": (lines[-1] if lines else type(exc).__name__)[:1000]}
            result["seconds"] = time.perf_counter() - started
            os.write(pipe, json.dumps(result).encode())


        def import_one(name, limit):
            reading, writing = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    os.close(reading)
                    child(name, writing)
                finally:
                    os._exit(0)
            os.close(writing)
            deadline = time.monotonic() + limit
            data = b""
            result = None
            while result is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                ready, _, _ = select.select([reading], [], [], left)
                if not ready:
                    continue
                chunk = os.read(reading, 65536)
                if not chunk:
                    break
                data += chunk
                try:
                    result = json.loads(data.decode("utf-8", "replace"))
                except ValueError:
                    pass
            os.close(reading)
            if result is None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            _, status = os.waitpid(pid, 0)
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                error = "timed out after %g s" % limit
            elif os.WIFSIGNALED(status):
                error = "the interpreter was killed by signal %d" % os.WTERMSIG(status)
            else:
                error = "the interpreter exited with status %d before importing it" % os.WEXITSTATUS(status)
            return {"name": name, "ok": False, "error": error, "seconds": 0.0}


        def time_one(name, limit):
            import subprocess
            code = "import %s" % name if name else "pass"
            started = time.perf_counter()
            try:
                process = subprocess.run(
                    [sys.executable, "-c", code],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=limit)
                ok = process.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            return {"name": name, "ok": ok, "seconds": time.perf_counter() - started}


        def main():
            mode = sys.argv[1]
            if mode == "discover":
                discover()
                return
            limit = float(sys.argv[2])
            work = import_one if mode == "import" else time_one
            for name in sys.argv[3:]:
                sys.stdout.write(json.dumps(work(name, limit)) + "\n")
                sys.stdout.flush()


        main()
        """#
}
