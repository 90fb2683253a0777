#!/usr/bin/env bash
# Check the offline wheelhouse (`make wheelhouse-check`): install it into a fresh venv with
# every package index unreachable, then run the installed app.
#   packaging/check_wheelhouse.sh [WHEELHOUSE]      (default dist/wheelhouse)
# The index points at a closed local port, pip's config files (which may name local
# mirrors) are ignored, and where the kernel allows it everything runs in a new
# network namespace with no interface but loopback.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
wheelhouse="$(cd "${1:-$root/dist/wheelhouse}" && pwd)"
ct="$root/tests/data/totalseg-example/ct.nii.gz"
base_python="${PYTHON:-$("$root/.venv/bin/python" -c 'import sys; print(sys._base_executable)')}"
tmp="$(mktemp -d -t vertapp-wheelhouse-check-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

export PIP_CONFIG_FILE=/dev/null PIP_INDEX_URL=http://127.0.0.1:9/simple PIP_NO_CACHE_DIR=1
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_CONSTRAINT
export HOME="$tmp/home" VERTAPP_CONFIG_DIR="$tmp/home/config" VERTAPP_LOG_DIR="$tmp/home/logs"
export QT_QPA_PLATFORM=offscreen
offline=()
if unshare -rn true 2>/dev/null; then offline=(unshare -rn); fi
echo "wheelhouse: $wheelhouse ($(ls "$wheelhouse"/*.whl | wc -l) wheels, $(du -sh "$wheelhouse" | cut -f1))"
echo "network: ${offline[*]:-index unreachable only (no network namespace allowed)}"

start=$(date +%s)
"${offline[@]}" env PYTHON="$base_python" "$wheelhouse/install.sh" "$tmp/venv"
echo "install: $(( $(date +%s) - start )) s, venv $(du -sh "$tmp/venv" | cut -f1)"
cd "$tmp"  # not the checkout: the installed package must stand on its own
"${offline[@]}" "$tmp/venv/bin/vertapp" --version
"${offline[@]}" "$tmp/venv/bin/vertapp" info "$ct"
"${offline[@]}" "$tmp/venv/bin/vertapp" about > "$tmp/about.txt"
head -14 "$tmp/about.txt"
grep -q "revision unknown" "$tmp/about.txt" && { echo "no revision baked into the wheel"; exit 1; }
"${offline[@]}" "$tmp/venv/bin/python" -c "
import vertapp, vertapp.appresources as r
assert '$tmp/venv' in vertapp.__file__, vertapp.__file__
print('icon:', r.icon_paths()[-1])"
echo "wheelhouse-check: passed"
