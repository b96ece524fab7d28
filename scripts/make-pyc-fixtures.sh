#!/usr/bin/env bash
# make-pyc-fixtures.sh — compile one small module with every pyenv CPython 3.x into testdata/pyc/.
#
# Writes, for each interpreter found in ~/.pyenv/versions/3.*:
#   m.<tag>.timestamp.pyc                       (every version)
#   m.<tag>.checked.pyc, m.<tag>.unchecked.pyc  (3.7+, PEP 552 hash-based pycs)
# plus the shared source m.py and manifest.json (source mtime and size, and per version: cache tag, magic number,
# importlib.util.source_hash of the source, file names). Git keeps no mtimes: tests read them from the manifest.
# The tests read only these committed files, so they pass on machines without pyenv.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/testdata/pyc"
pyenv_versions="${PYENV_ROOT:-$HOME/.pyenv}/versions"
mtime=1700000000

# SOURCE_DATE_EPOCH would switch py_compile's default mode; every mode is passed explicitly anyway.
unset SOURCE_DATE_EPOCH PYTHONPYCACHEPREFIX

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One line: the tests read headers, and a tiny module keeps each pyc near 100 bytes.
printf 'GREETING = "hello"\n' >"$work/m.py"
touch -d "@$mtime" "$work/m.py"

# Compiles m.py in each mode this interpreter knows and prints one manifest entry as JSON.
compile_program='
import importlib.util, json, os, py_compile, shutil, sys

work, out = sys.argv[1], sys.argv[2]
source = os.path.join(work, "m.py")
tag = sys.implementation.cache_tag
modes = {"timestamp": "TIMESTAMP", "checked": "CHECKED_HASH", "unchecked": "UNCHECKED_HASH"}
if sys.version_info < (3, 7):
    modes = {"timestamp": None}
files = {}
for name, mode in modes.items():
    target = "m.%s.%s.pyc" % (tag, name)
    options = {} if mode is None else {"invalidation_mode": py_compile.PycInvalidationMode[mode]}
    # dfile keeps the temporary directory out of co_filename.
    py_compile.compile(source, cfile=os.path.join(work, target), dfile="m.py", doraise=True, **options)
    shutil.copyfile(os.path.join(work, target), os.path.join(out, target))
    files[name] = target
with open(source, "rb") as f:
    data = f.read()
source_hash = importlib.util.source_hash(data).hex() if hasattr(importlib.util, "source_hash") else None
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "cache_tag": tag,
    "magic": int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little"),
    "source_hash": source_hash,
    "files": files,
}))
'

rm -rf "$out"
mkdir -p "$out"
cp -p "$work/m.py" "$out/m.py"

entries="$work/entries.jsonl"
: >"$entries"
found=0
for python in "$pyenv_versions"/3.*/bin/python3; do
    [[ -x "$python" ]] || continue
    "$python" -c "$compile_program" "$work" "$out" >>"$entries"
    found=$((found + 1))
done
if [[ $found -eq 0 ]]; then
    echo "make-pyc-fixtures: no CPython 3.x under $pyenv_versions" >&2
    exit 1
fi

size=$(stat -c %s "$out/m.py")
jq --slurp --argjson mtime "$mtime" --argjson size "$size" \
    '{source: "m.py", source_mtime: $mtime, source_size: $size,
      versions: sort_by(.version | split(".") | map(tonumber))}' \
    "$entries" >"$out/manifest.json"

echo "make-pyc-fixtures: $found interpreters, $(du -sb "$out" | cut -f1) bytes in ${out#"$root"/}"
