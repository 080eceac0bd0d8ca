#!/bin/sh
# Create or refresh .venv-ci from a locked requirements file, with the pinned uv.
#   sh ci/venv.sh requirements/dev.txt
# POSIX sh on purpose: it runs in the job image (python:3.13-slim) and on shell-executor runners
# whose only Python may be called python3. Honours the usual uv/pip variables (UV_CACHE_DIR,
# UV_OFFLINE, UV_INDEX_URL, PIP_CACHE_DIR, PIP_INDEX_URL, ...), so caches and mirrors need no edits.
set -eu

lock_file=${1:?usage: sh ci/venv.sh requirements/<name>.txt}
uv_version=${UV_VERSION:-0.13.8}
venv_dir=${CI_VENV_DIR:-.venv-ci}
tools_dir=${CI_TOOLS_DIR:-.cache/uv-$uv_version}

# Caches inside the project directory, where the job's `cache:` picks them up.
UV_CACHE_DIR=${UV_CACHE_DIR:-$PWD/.cache/uv}
PIP_CACHE_DIR=${PIP_CACHE_DIR:-$PWD/.cache/pip}
UV_PYTHON_DOWNLOADS=${UV_PYTHON_DOWNLOADS:-never}
export UV_CACHE_DIR PIP_CACHE_DIR UV_PYTHON_DOWNLOADS

# The first Python >= 3.12 that actually runs (a pyenv shim can exist without a version behind it).
python=""
for candidate in ${CI_PYTHON:-} python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        python=$("$candidate" -c 'import sys; print(sys.executable)')
        break
    fi
done
if [ -z "$python" ]; then
    echo "error: Python >= 3.12 not found (tried ${CI_PYTHON:+$CI_PYTHON }python3.13, python3.12 and python3); set CI_PYTHON or use the job image" >&2
    exit 1
fi

# The pinned uv: already on PATH, else cached under .cache/, else installed there with pip.
if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$uv_version" ]; then
    uv=uv
elif "$tools_dir/bin/uv" --version 2>/dev/null | grep -qx "uv $uv_version.*"; then
    uv=$tools_dir/bin/uv
else
    rm -rf "$tools_dir"
    "$python" -m venv "$tools_dir"
    "$tools_dir/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
    uv=$tools_dir/bin/uv
fi

"$uv" venv --quiet --allow-existing --python "$python" "$venv_dir"
VIRTUAL_ENV=$(cd "$venv_dir" && pwd) "$uv" pip sync --quiet --require-hashes "$lock_file"
echo "$venv_dir: $("$venv_dir/bin/python" --version) with $lock_file"
