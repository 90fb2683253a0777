"""A small mutation check: break the save/journal and edit code on purpose, run its tests.

Each mutant is one hand-written change to `vertapp/annotations/store.py` or
`ops.py` (a branch dropped, an inverse made wrong, a flush removed) that a real bug
could make. It is applied to a throw-away copy of the repository (never to the
working tree) and the tests that guard that code run there; a mutant they do not
catch ("survived") is a hole in the tests. mutmut needs a network install and
mutates everything; this is the few mutants that matter, in about a minute.

    .venv/bin/python tools/mutation_check.py            # all mutants
    .venv/bin/python tools/mutation_check.py --list     # what they are

Exit status 1 when a mutant survives.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "vertapp/annotations/store.py"
OPS = "vertapp/annotations/ops.py"
STORE_TESTS = "tests/unit/annotations/test_store.py"
RECOVERY_TESTS = "tests/unit/annotations/test_recovery.py"
OPS_TESTS = "tests/unit/annotations/test_ops.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = [
    Mutant(
        "conflict check: same size means unchanged (hash branch gone)",
        STORE,
        "if st.st_size == stamp.size and FileStamp.of(path).sha256 == stamp.sha256:",
        "if st.st_size == stamp.size:",
        (STORE_TESTS,),
    ),
    Mutant(
        "conflict check: any mtime change is a conflict (touched file refused)",
        STORE,
        "    if st.st_size == stamp.size and FileStamp.of(path).sha256 == stamp.sha256:\n"
        "        return  # touched, not changed\n",
        "",
        (STORE_TESTS,),
    ),
    Mutant(
        "save note before the rename not written",
        STORE,
        "    if pending.journal_id is None or pending.journal_mark is None:\n        return\n",
        "    return\n",
        (RECOVERY_TESTS,),
    ),
    Mutant(
        "recovery replays the lines the new file already holds",
        STORE,
        "if not line.strip() or n - 2 < skip:",
        "if not line.strip():",
        (RECOVERY_TESTS,),
    ),
    Mutant(
        "a save without a journal deletes unreplayed edits",
        STORE,
        "    _keep_unreplayed(folder, project)\n    clear_recovery(folder)\n",
        "    clear_recovery(folder)\n",
        (RECOVERY_TESTS,),
    ),
    Mutant(
        "journal lines not flushed",
        STORE,
        "        self._file.write(line)\n        self._file.flush()\n",
        "        self._file.write(line)\n",
        (STORE_TESTS,),
    ),
    Mutant(
        "backup not kept",
        STORE,
        "        if backup is not None and path.exists():\n            _keep_backup(path, Path(backup))\n",
        "",
        (STORE_TESTS,),
    ),
    Mutant(
        "relabel's inverse relabels to the new label",
        OPS,
        "        inverse: Operation = Relabel(inst.id, inst.label)\n        inst.label = self.label\n",
        "        inst.label = self.label\n        inverse: Operation = Relabel(inst.id, inst.label)\n",
        (OPS_TESTS,),
    ),
    Mutant(
        "status change forgets to notify (no revision bump, no journal)",
        OPS,
        '        img.status = self.status\n        project._changed(Change("image_changed", img.id))\n',
        "        img.status = self.status\n",
        (OPS_TESTS, STORE_TESTS),
    ),
    Mutant(
        "move vertex's inverse is the new position",
        OPS,
        "        old = (float(ring[self.vertex, 0]), float(ring[self.vertex, 1]))\n"
        "        ring[self.vertex] = (x, y)\n",
        "        ring[self.vertex] = (x, y)\n"
        "        old = (float(ring[self.vertex, 0]), float(ring[self.vertex, 1]))\n",
        (OPS_TESTS,),
    ),
]


def _copy_repo(dest: Path) -> None:
    """vertapp/ and tests/ (and the config pytest reads), without venv, git or data caches."""
    for name in ("vertapp", "tests"):
        shutil.copytree(
            ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    for name in ("pyproject.toml", "conftest.py"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, dest / name)


def run_mutant(mutant: Mutant, work: Path) -> tuple[bool, float]:
    """(killed, seconds): the mutant applied to a fresh copy, its tests run there."""
    copy = work / "repo"
    shutil.rmtree(copy, ignore_errors=True)
    _copy_repo(copy)
    target = copy / mutant.file
    text = target.read_text()
    if mutant.old and text.count(mutant.old) != 1:
        raise SystemExit(f"mutant {mutant.name!r}: its text is not found once in {mutant.file}")
    target.write_text(text.replace(mutant.old, mutant.new))
    t0 = time.monotonic()
    proc = subprocess.run(  # cwd first on sys.path: the copy's vertapp, not the editable one
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow"]
        + list(mutant.tests),
        cwd=copy,
        capture_output=True,
        text=True,
    )
    return proc.returncode != 0, time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    args = parser.parse_args(argv)
    if args.list:
        for m in MUTANTS:
            print(f"{m.file}: {m.name}")
        return 0
    survived = 0
    with tempfile.TemporaryDirectory(prefix="vertapp-mutants-") as tmp:
        tests = tuple(sorted({t for m in MUTANTS for t in m.tests}))
        control = Mutant("no change (control: the copy's tests must pass)", STORE, "", "", tests)
        failed, seconds = run_mutant(control, Path(tmp))
        print(f"{'FAILED  ' if failed else 'passed  '} {seconds:5.1f} s  {control.name}")
        if failed:
            return 2  # a mutant "killed" by tests that fail anyway proves nothing
        for m in MUTANTS:
            killed, seconds = run_mutant(m, Path(tmp))
            survived += not killed
            print(f"{'killed  ' if killed else 'SURVIVED'} {seconds:5.1f} s  {m.file}: {m.name}")
    print(f"{len(MUTANTS) - survived} of {len(MUTANTS)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
