#!/usr/bin/env bash
# Run every bench/*.py benchmark in bench/.venv, the environment that holds the peers we
# compare against (MLflow, ...): they must never become dependencies of the package.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=bench/.venv
stamp=$venv/.installed  # what the venv was built from; rebuilt when that changes
want=$(cat bench/requirements.txt pyproject.toml)

if [[ ! -x $venv/bin/python ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== building $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q -r bench/requirements.txt
    # JupyterLab too: the UI benchmarks drive the studio in chromium.
    "$venv/bin/python" -m pip install -q -e '.[lab]'
    printf '%s' "$want" > "$stamp"
fi

status=0
for script in bench/*.py; do
    echo "== $script"
    # Keep going so one failing benchmark does not hide the others' figures.
    "$venv/bin/python" "$script" || status=1
done
exit $status
