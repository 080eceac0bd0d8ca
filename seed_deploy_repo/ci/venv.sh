#!/bin/sh
# Create ./.venv with the python3 found on PATH and install the given requirement files into it.
# Usage: sh ci/venv.sh requirements.txt [requirements-dev.txt ...]
# pip's cache goes to $PIP_CACHE_DIR. A cached .venv is reused when interpreter and files are unchanged; a
# venv may then sit at another path than where it was built, so callers run `python -m ...`, not its scripts.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: sh ci/venv.sh REQUIREMENTS_FILE..." >&2
    exit 2
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "ERROR: python3 is not on PATH; use an image with Python >= 3.11 (see .gitlab-ci.yml)" >&2
    exit 1
fi
# Resolve the interpreter once: wrappers such as pyenv shims cost a noticeable fraction of a second per call.
python="$(python3 -c 'import sys; print(sys.executable if sys.version_info >= (3, 11) else "")')"
if [ -z "$python" ]; then
    echo "ERROR: Python >= 3.11 needed, found $(python3 -V 2>&1)" >&2
    exit 1
fi

requirements=""
for file in "$@"; do
    if [ ! -f "$file" ]; then
        echo "ERROR: requirements file $file not found (run from the repository root)" >&2
        exit 1
    fi
    requirements="$requirements -r $file"
done

# A .venv restored from the CI cache is reused when it was built by this interpreter from these files.
stamp="$("$python" -c 'import hashlib, sys
digest = hashlib.sha256((sys.version + sys.executable).encode())
for name in sys.argv[1:]:
    with open(name, "rb") as handle:
        digest.update(handle.read())
print(digest.hexdigest())' "$@")"
if [ -f .venv/.requirements.sha256 ] && [ "$(cat .venv/.requirements.sha256)" = "$stamp" ] \
    && .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
    echo "Reusing the cached .venv: $* unchanged ($(.venv/bin/python -V 2>&1))"
    exit 0
fi

# A venv without its own pip takes a tenth of a second to create; the interpreter's pip (>= 22.3 knows
# --python) then installs into it. Interpreters without pip get pip inside the venv instead.
if "$python" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (22, 3))' 2>/dev/null; then
    "$python" -m venv --clear --without-pip .venv
    # shellcheck disable=SC2086  # $requirements is a list of "-r FILE" words
    "$python" -m pip --python .venv/bin/python install --quiet --no-input $requirements
else
    if ! "$python" -m venv --clear .venv; then
        echo "ERROR: $python cannot create a virtualenv; install the venv module (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
    # shellcheck disable=SC2086
    .venv/bin/python -m pip install --quiet --no-input $requirements
fi
printf '%s\n' "$stamp" >.venv/.requirements.sha256
echo "Installed $* into .venv ($(.venv/bin/python -V 2>&1))"
