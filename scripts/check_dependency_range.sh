#!/usr/bin/env bash
# Re-check the oldest versions that pyproject.toml's `dependencies` allow: make a
# venv with exactly those (the lower bounds), install this package into it without
# its dependencies, and run a core subset of the tests. Not run by CI (it
# downloads TensorFlow); run it after changing a lower bound or the code that
# needs one.
#
#   bash scripts/check_dependency_range.sh [VENV]      (default /tmp/deps-oldest)
#
# STACK overrides the versions, e.g. to check another stack:
#   STACK="tensorflow==2.18.1 keras==3.6.0 numpy==2.0.2 nengo==4.1.0" bash scripts/...
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-/tmp/deps-oldest}
# the lower bounds of pyproject.toml's dependencies (keep the two in step)
STACK=${STACK:-"tensorflow==2.16.2 keras==3.3.0 nengo==4.0.0 numpy==1.26.4 \
scipy==1.10.1 tqdm==4.60.0"}
# pytest < 8 as in the test extra; matplotlib because nengo's pytest plugin
# imports nengo.tests.test_neurons, which needs it
TEST_DEPS=("pytest<8" "matplotlib")
TESTS=(
  tests/test_equivalence.py tests/test_simulator.py tests/test_training_api.py
  tests/test_tensor_node.py tests/test_learning.py tests/test_param_files.py
  tests/test_interrupts.py tests/test_tf_private.py
)

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# shellcheck disable=SC2086  # STACK is a list of requirements
"$VENV/bin/python" -m pip install -q $STACK "${TEST_DEPS[@]}"
"$VENV/bin/python" -m pip install -q --no-deps -e .
"$VENV/bin/python" -m pip check
"$VENV/bin/python" -m pip list 2>/dev/null \
  | grep -iE '^(tensorflow|keras|nengo|numpy|scipy|tqdm) '
"$VENV/bin/python" -m pytest "${TESTS[@]}" -q -ra
