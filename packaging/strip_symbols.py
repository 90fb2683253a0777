"""Strip symbol tables from the frozen build's shared libraries (`make package`, last step).

    .venv/bin/python packaging/strip_symbols.py dist/package/vertapp

Symbols the dynamic loader and `dlsym` use (.dynsym) stay; what goes is the static
symbol table and any debug sections (`strip --strip-unneeded`). NVIDIA's libraries are
left exactly as shipped: their licence allows redistribution of unmodified files only,
and this machine has no GPU to check a changed CUDA library against. Files that carry
no symbols to strip are not rewritten. Linux only (PE/Mach-O builds: no-op).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
UNTOUCHED = ("nvidia",)  # top-level folders of _internal kept byte for byte


def _is_elf(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == ELF_MAGIC


def candidates(bundle: Path) -> list[Path]:
    internal = bundle / "_internal"
    found = []
    for path in sorted(internal.rglob("*")):
        rel = path.relative_to(internal)
        if rel.parts[0] in UNTOUCHED or path.is_symlink() or not path.is_file():
            continue
        if (".so" in path.name) and _is_elf(path):
            found.append(path)
    return found


def strip(path: Path, tool: str) -> int:
    """Bytes saved on `path` (0 when strip refused it or there was nothing to take)."""
    before = path.stat().st_size
    tmp = path.with_name(path.name + ".stripped")
    done = subprocess.run(
        [tool, "--strip-unneeded", "-o", str(tmp), str(path)], capture_output=True
    )
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size >= before:
        tmp.unlink(missing_ok=True)
        return 0
    shutil.copymode(path, tmp)
    tmp.replace(path)
    return before - path.stat().st_size


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    bundle = Path(sys.argv[1])
    tool = shutil.which("strip")
    if not sys.platform.startswith("linux") or tool is None:
        print("strip_symbols: not Linux or no `strip` (binutils): nothing done")
        return 0
    files = candidates(bundle)
    saved = sum(strip(path, tool) for path in files)
    print(f"strip_symbols: {len(files)} libraries checked, {saved / 2**20:.0f} MiB saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
