"""Strip symbol tables from the frozen build's shared libraries (`make package`, last step).

    .venv/bin/python packaging/strip_symbols.py dist/package/vertapp

Symbols the dynamic loader and `dlsym` use (.dynsym) stay; what goes is the static
symbol table and any debug sections (`strip --strip-unneeded`). A stripped copy replaces
the original only if the loader would still map it (`loads`). NVIDIA's libraries are
left exactly as shipped: their licence allows redistribution of unmodified files only,
and this machine has no GPU to check a changed CUDA library against. Files that carry
no symbols to strip are not rewritten. Linux only (PE/Mach-O builds: no-op).
"""

from __future__ import annotations

import shutil
import struct
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


def loads(path: Path) -> bool:
    """False when the dynamic loader would refuse the file: a PT_LOAD segment whose file
    offset and address disagree modulo its alignment ("ELF load command address/offset
    not page-aligned"). binutils' strip does that to libraries patchelf has edited
    (auditwheel's vendored numpy.libs/scipy.libs), so every stripped file is checked."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:4] != ELF_MAGIC or head[4] != 2 or head[5] != 1:
            return False  # only 64-bit little-endian files are judged; others stay as they were
        (phoff,) = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        fh.seek(phoff)
        table = fh.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _, offset, vaddr, _, _, _, align = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize
        )
        if p_type == 1 and align > 1 and (vaddr - offset) % align:
            return False
    return True


def strip(path: Path, tool: str) -> int:
    """Bytes saved on `path` (0 when strip refused it or there was nothing to take)."""
    before = path.stat().st_size
    tmp = path.with_name(path.name + ".stripped")
    done = subprocess.run(
        [tool, "--strip-unneeded", "-o", str(tmp), str(path)], capture_output=True
    )
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size >= before or not loads(tmp):
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
