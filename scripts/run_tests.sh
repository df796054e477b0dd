#!/usr/bin/env bash
# The test suite in four pytest processes (extra arguments go to each).
#
# Why: every XLA-compiled program keeps its memory mappings until the process
# ends (TensorFlow does not free compiled programs), about 100 per test here, and
# Linux aborts a process past vm.max_map_count (65530 by default). One process
# for all ~960 tests reached it at ~80% of the suite and was killed inside
# TensorFlow (SIGABRT/SIGSEGV); four processes stay near 25,000 each.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# every step program shared by its structural key is traced too and checked
# (nengodl_notebook/program_keys.py): the suite's networks test the key
export NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS=${NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS:-1}
# compiled XLA programs are saved and loaded across the groups (xla_cache.py),
# in a cache of this run only (not the user's)
if [ -z "${NENGODL_NOTEBOOK_XLA_CACHE:-}" ]; then
  cache_root=$(mktemp -d)
  trap 'rm -rf "$cache_root"' EXIT
  export NENGODL_NOTEBOOK_XLA_CACHE="$cache_root/xla"
fi
groups=(
  "tests/browser tests/test_[a-e]*.py"
  "tests/test_[f-o]*.py"
  "tests/test_[p-s]*.py"
  "tests/test_[t-z]*.py"
)
failed=0
for group in "${groups[@]}"; do
  echo "== pytest $group"
  # shellcheck disable=SC2086  # the globs are meant to expand
  $PY -m pytest $group -q -ra "$@" || failed=1
done
exit $failed
