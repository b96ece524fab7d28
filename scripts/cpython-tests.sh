#!/usr/bin/env bash
# cpython-tests.sh ROOTFS OUTFILE [ENV_FILE] — run a subset of CPython's own regression tests
# (Debian's libpython3.11-testsuite, /usr/lib/python3.11/test) with the image's /usr/bin/python3
# inside an unpacked image rootfs, and write one line per test case and per test module:
#
#   test.test_json.test_dump.TestDump.test_dump<TAB>PASS        a test case (unittest id)
#   setUpClass (test.test_x.SomeTests)<TAB>FAIL                 a class/module fixture error
#   test_json<TAB>PASS                                          a test module (regrtest's verdict)
#
# sorted bytewise (LC_ALL=C), results PASS, FAIL or SKIP. A case is FAIL if it (or one of its
# subtests) failed or errored, or succeeded unexpectedly; an expected failure is PASS; a case
# that only skipped is SKIP. A module is FAIL when regrtest says so, when it crashed or timed
# out, or when it reported nothing; a module regrtest marks "environment changed" (a leftover
# thread, file or signal handler after passing tests) is PASS; "skipped" and "resource denied"
# modules (no -u resources are enabled: network, cpu, … tests are skipped) are SKIP.
# The per-module regrtest output goes to OUTFILE.log; OUTFILE.times holds seconds per module.
# The exit status is 0 whenever OUTFILE was written, whatever the tests did; 2 on usage errors.
#
# Each test module runs in its own `python3 -m test`-equivalent process (as `-j` would), run
# through scripts/chroot-python.sh: chroot(8), a clean environment (PATH, HOME=/root and the
# KEY=VALUE lines of ENV_FILE, normally the image config's Env), nothing mounted (no /proc, /sys).
# Modules run CPYTHON_TESTS_JOBS at a time (default: the number of CPUs), longest first.
# Results are collected by hooking regrtest's own result class (test.support.testresult
# RegressionTestResult) in that process and written to an inherited file descriptor (3), not
# by --junit-xml: in 3.11 regrtest's JUnit XML leaves a nameless <testcase> for a test whose
# subtests failed and drops errors in setUpClass/setUpModule altogether.
#
# The tests run in ROOTFS and may write there (pycs where the image allows bytecode writing,
# temp files under /tmp): use a disposable rootfs and copy nothing back.
#
# Knobs: CPYTHON_TESTS (override the module list), CPYTHON_TESTS_JOBS,
#        CPYTHON_TESTS_TIMEOUT (seconds per module, default 600; a timed-out module is FAIL).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: ${0##*/} ROOTFS OUTFILE [ENV_FILE]" >&2
    exit 2
fi
ROOTFS=$1
OUTFILE=$2
ENV_FILE_ARG=${3:-}
if [[ ! -x "$ROOTFS/usr/bin/python3" ]]; then
    echo "${0##*/}: no /usr/bin/python3 in $ROOTFS" >&2
    exit 2
fi
if [[ ! -d "$ROOTFS/usr/lib/python3.11/test/libregrtest" ]]; then
    echo "${0##*/}: $ROOTFS has no CPython test suite (Debian package libpython3.11-testsuite)" >&2
    exit 2
fi
if [[ -n "$ENV_FILE_ARG" && ! -f "$ENV_FILE_ARG" ]]; then
    echo "${0##*/}: no such env file: $ENV_FILE_ARG" >&2
    exit 2
fi

# The subset: the import system (test_import, test_importlib, test_zipimport[_support],
# test_pkgutil, test_pkg, test_runpy, test_modulefinder, test_cmd_line[_script]: modules,
# packages, zips, pyc files and scripts run as programs), byte-compilation (test_compileall,
# test_py_compile), code that reads other modules' sources or bytecode at run time
# (test_inspect, test_traceback, test_linecache, test_doctest, test_pydoc, test_pyclbr,
# test_warnings, test_source_encoding), site-packages and venvs (test_site, test_venv), and
# json and email as widely used pure-Python packages. Longest first (the pool starts them in
# this order). About 4,600 cases in 20-25 s per image on 2 cores (55 s with the CPUs
# oversubscribed three times, same results); OUTFILE.times has the seconds per module.
DEFAULT_TESTS=(
    test_compileall test_venv test_source_encoding test_email test_importlib
    test_cmd_line_script test_cmd_line test_import test_json test_runpy test_doctest
    test_inspect test_traceback test_pydoc test_pkgutil test_py_compile test_site
    test_warnings test_modulefinder test_zipimport_support test_zipimport test_pkg
    test_pyclbr test_linecache
)
read -r -a TESTS <<< "${CPYTHON_TESTS:-${DEFAULT_TESTS[*]}}"

# Exclusions (regrtest --ignore glob patterns on test ids), each with its reason.
# Only tests that fail or flake for reasons unrelated to the Python files in the image belong
# here; everything else that fails on the original image is kept (it is compared, not hidden).
IGNORE=(
    # Starts pydoc's HTTP server on "localhost": the image has no /etc/hosts, so name
    # resolution fails in the chroot (gaierror -3) whatever the image's Python files are.
    'test.test_pydoc.PydocServerTest.test_server'
)
# Excluded only when the interpreter does not write bytecode (sys.flags.dont_write_bytecode:
# PYTHONDONTWRITEBYTECODE in ENV_FILE, as drop-bytecode adds to the image Env). CPython skips
# its other bytecode-writing tests in that case (@skip_if_dont_write_bytecode, 96 cases here);
# these lack the decorator, so they fail there instead, by design of the setting, not because
# a file is missing.
IGNORE_IF_DONT_WRITE_BYTECODE=(
    # Compiles a module at levels 0-2, changes it, imports it under -O in a child process and
    # expects that child to rewrite the opt-1 pyc.
    'test.test_compileall.HardlinkDedupTests*.test_import'
)

JOBS=${CPYTHON_TESTS_JOBS:-$(nproc)}
TIMEOUT=${CPYTHON_TESTS_TIMEOUT:-600}

# Runs inside the image's python3 as `python3 -c WRAPPER [PAT...] -- TEST ARGS...`: what
# `python3 -m test TEST ARGS...` does (PAT...: --ignore patterns added when the interpreter
# does not write bytecode), plus hooks on the result class that record each case's outcome
# and print the traceback of each failure; writes "name<TAB>result" lines, the module's
# verdict last, to fd 3.
# shellcheck disable=SC2016
WRAPPER='
import os, sys
out = os.fdopen(3, "w", encoding="utf-8", errors="backslashreplace")
os.set_inheritable(3, False)
sep = sys.argv.index("--")
dwb_patterns, sys.argv[1:] = sys.argv[1:sep], sys.argv[sep + 1:]
if sys.flags.dont_write_bytecode:
    for pat in dwb_patterns:
        sys.argv += ["--ignore", pat]
    print("cpython-tests: bytecode writing is off; ignoring %s" % " ".join(dwb_patterns))
from unittest.case import _SubTest
from test.support import testresult
from test.libregrtest.main import Regrtest

RANK = {"SKIP": 0, "PASS": 1, "FAIL": 2}
cases = {}

def record(test, verdict):
    if isinstance(test, _SubTest):
        test = test.test_case
    try:
        name = test.id()
    except Exception:
        name = str(test)
    name = " ".join(str(name).split())
    if name not in cases or RANK[verdict] > RANK[cases[name]]:
        cases[name] = verdict

R = testresult.RegressionTestResult
def hook(method, verdict):
    orig = getattr(R, method)
    def hooked(self, test, *args):
        record(test, verdict)
        if verdict == "FAIL" and args:
            print("cpython-tests: %s %s\n%s" % (verdict, test, self._exc_info_to_string(args[0], test)),
                  file=sys.__stderr__, flush=True)
        return orig(self, test, *args)
    setattr(R, method, hooked)
for method, verdict in [("addSuccess", "PASS"), ("addExpectedFailure", "PASS"),
                        ("addFailure", "FAIL"), ("addError", "FAIL"),
                        ("addUnexpectedSuccess", "FAIL"), ("addSkip", "SKIP")]:
    hook(method, verdict)
orig_sub = R.addSubTest
def addSubTest(self, test, subtest, err):
    if err is not None:
        record(test, "FAIL")
        print("cpython-tests: FAIL %s\n%s" % (subtest, self._exc_info_to_string(err, test)),
              file=sys.__stderr__, flush=True)
    return orig_sub(self, test, subtest, err)
R.addSubTest = addSubTest

module = sys.argv[1]  # the test module; the rest are regrtest options
regrtest = Regrtest()
try:
    regrtest.main()
except SystemExit:
    pass
import faulthandler
faulthandler.cancel_dump_traceback_later()
if module in regrtest.bad or regrtest.interrupted:
    verdict = "FAIL"
elif module in regrtest.good or module in regrtest.environment_changed:
    verdict = "PASS"
elif module in regrtest.skipped or module in regrtest.run_no_tests:
    verdict = "SKIP"
else:
    verdict = "FAIL"
if module in regrtest.environment_changed:
    print("cpython-tests: %s altered the execution environment (counted as PASS)" % module)
for name in sorted(cases):
    out.write("%s\t%s\n" % (name, cases[name]))
out.write("%s\t%s\n" % (module, verdict))
out.close()
'

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cpython-tests.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ignore_args=()
for pat in "${IGNORE[@]}"; do
    ignore_args+=(--ignore "$pat")
done

# run_module NAME — one test module in its own process; its results in $TMP/NAME.tsv.
run_module() {
    local mod=$1 start=$SECONDS rc=0
    ENV_FILE=$ENV_FILE_ARG timeout -k 10 "$TIMEOUT" \
        "$SCRIPT_DIR/chroot-python.sh" "$ROOTFS" /usr/bin/python3 -c "$WRAPPER" \
        "${IGNORE_IF_DONT_WRITE_BYTECODE[@]}" -- "$mod" "${ignore_args[@]}" \
        > "$TMP/$mod.log" 2>&1 3> "$TMP/$mod.part" || rc=$?
    # A module that crashed, timed out or wrote no verdict line is FAIL, whatever it reported.
    if ! grep -q "^$mod"$'\t' "$TMP/$mod.part"; then
        echo "cpython-tests: $mod exited with status $rc and wrote no verdict" >> "$TMP/$mod.log"
        grep -v "^$mod"$'\t' "$TMP/$mod.part" > "$TMP/$mod.tsv" || true
        printf '%s\tFAIL\n' "$mod" >> "$TMP/$mod.tsv"
    else
        mv "$TMP/$mod.part" "$TMP/$mod.tsv"
    fi
    echo "$((SECONDS - start))" > "$TMP/$mod.secs"
}

start=$SECONDS
running=0
for mod in "${TESTS[@]}"; do
    if [[ $running -ge $JOBS ]]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_module "$mod" &
    running=$((running + 1))
done
wait

: > "$TMP/log"
: > "$TMP/times"
for mod in $(printf '%s\n' "${TESTS[@]}" | LC_ALL=C sort -u); do
    { echo "=== $mod: output of python3 -m test $mod"; cat "$TMP/$mod.log"; echo; } >> "$TMP/log"
    printf '%s\t%s\n' "$mod" "$(cat "$TMP/$mod.secs")" >> "$TMP/times"
done
printf 'total\t%s\n' "$((SECONDS - start))" >> "$TMP/times"
cat "$TMP"/*.tsv | LC_ALL=C sort -u > "$TMP/out"
# A name reported twice with different results (never seen) keeps its worst result.
awk -F'\t' '{ r = ($2 == "FAIL") ? 2 : ($2 == "PASS") ? 1 : 0
              if (!($1 in best) || r > best[$1]) best[$1] = r }
            END { for (n in best) print n "\t" (best[n] == 2 ? "FAIL" : best[n] == 1 ? "PASS" : "SKIP") }' \
    "$TMP/out" | LC_ALL=C sort > "$TMP/out.sorted"
mv "$TMP/log" "$OUTFILE.log"
mv "$TMP/times" "$OUTFILE.times"
mv "$TMP/out.sorted" "$OUTFILE"
