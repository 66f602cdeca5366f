#!/bin/sh
# Build the qeff wheel the way users install it (pip + meson-python) and run
# the Python test suite against the INSTALLED package, not the build tree.
#
#   bindings/python/check_wheel.sh SCRATCH_DIR [PYTHON]
#
# SCRATCH_DIR receives the venv, pip's build directory and pytest's temp
# files (nothing is written to the source tree); PYTHON is the base
# interpreter of the venv (default /usr/bin/python3). Needs PyPI for
# meson-python, meson, numpy and pytest. Compiles the core inside pip: a few
# minutes on 2 cores (ccache helps when on PATH). Extra pip arguments may be
# passed through QEFF_PIP_ARGS (e.g. -Ccompile-args=-j4).
set -eu

if [ $# -lt 1 ]; then
  echo "usage: $0 SCRATCH_DIR [PYTHON]" >&2
  exit 2
fi
scratch=$(mkdir -p "$1" && cd "$1" && pwd)
base_python=${2:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# The build directory is kept between runs (meson-python reconfigures it).
rm -rf "$scratch/venv" "$scratch/pytest" "$scratch/qeff-home"
"$base_python" -m venv "$scratch/venv"
py="$scratch/venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet numpy pytest

# meson-python's build directory in the scratch dir; -j2 by default.
# shellcheck disable=SC2086
"$py" -m pip install --verbose "$root" \
  -Cbuild-dir="$scratch/build" -Ccompile-args="${QEFF_COMPILE_ARGS:--j2}" ${QEFF_PIP_ARGS:-} \
  > "$scratch/pip-install.log" 2>&1 || { tail -50 "$scratch/pip-install.log"; exit 1; }

# The installed package, from a directory where the source package is not importable.
cd "$scratch"
"$py" - <<'PY'
import pathlib, qeff
where = pathlib.Path(qeff.__file__).resolve()
print("installed qeff", qeff.version(), "at", where.parent)
assert "site-packages" in str(where), where
PY

export QEFF_FIXTURES="$root/tests/fixtures"
export QEFF_CONFORMANCE="$root/tests/conformance/vectors.json"
export QEFF_HOME="$scratch/qeff-home"
export PYTHONDONTWRITEBYTECODE=1
# -P: no script directory on sys.path; the tests import the installed qeff.
"$py" -P -m pytest -q -p no:cacheprovider --basetemp="$scratch/pytest" \
  "$here/tests/test_conformance.py" "$here/tests/test_api.py" "$here/tests/test_generation.py"

# The examples against the installed package too.
"$py" "$root/examples/python/embed.py" "$root/tests/fixtures/models/bert-tiny"
"$py" "$root/examples/python/generate.py" "$root/tests/fixtures/models/llama-tiny" "Hello world"
echo "check_wheel: OK"
