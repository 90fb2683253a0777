#!/usr/bin/env bash
# Every wheel needed to install VertApp without a network, in one folder.
#   packaging/wheelhouse.sh [OUT_DIR]        (make wheelhouse; default dist/wheelhouse)
# The folder also gets install.sh / install.bat, which install from it with
# `pip install --no-index --find-links`, so it can be copied to a USB stick as is.
# Wheels are for the platform and Python this runs on (CPython 3.11, Linux x86_64 here);
# build a Windows wheelhouse on Windows.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${1:-$root/dist/wheelhouse}"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"
# VertApp's own wheel is built from the committed HEAD (git archive), not the working
# tree: no half-edited file, no stale build/ folder, and the revision About shows is
# baked in (an installed wheel has no checkout to ask).
src="$(mktemp -d -t vertapp-wheel-src-XXXXXX)"
trap 'rm -rf "$src"' EXIT
git -C "$root" archive --format=tar HEAD | tar -x -C "$src"
rev="$(git -C "$root" rev-parse --short=12 HEAD)"
printf '{"revision": "%s", "built_utc": "%s"}\n' "$rev" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    > "$src/vertapp/resources/build_info.json"
# pip wheel builds VertApp's own wheel and fetches a wheel of every dependency
# (already-built wheels are copied, sdists are built once here, not on the target).
"$python" -m pip wheel --wheel-dir "$out" "$src"
# pip, setuptools and wheel themselves, so an old pip in the target venv can be upgraded offline.
"$python" -m pip download --dest "$out" pip setuptools wheel
cp "$here/install_offline.sh" "$out/install.sh"
cp "$here/install_offline.bat" "$out/install.bat"
chmod +x "$out/install.sh"
du -sh "$out"
ls "$out" | wc -l | xargs echo "wheels and scripts:"
