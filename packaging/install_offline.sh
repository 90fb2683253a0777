#!/usr/bin/env bash
# Install VertApp from this folder of wheels, with no network.
#   ./install.sh [VENV_DIR]      (default ./vertapp-venv next to this script's folder)
# Needs Python >= 3.11 on the target; nothing is downloaded (--no-index).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/../vertapp-venv}"
python="${PYTHON:-python3}"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --no-index --find-links "$here" --upgrade pip
"$venv/bin/python" -m pip install --no-index --find-links "$here" vertapp
"$venv/bin/vertapp" --version
echo "installed: $venv/bin/vertapp"
