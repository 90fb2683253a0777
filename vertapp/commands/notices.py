"""How a command says what the user must hear besides its result: on stderr, one line
each, "warning: " for a doubt to look at (frames dropped, images left out of training),
"note: " for a fact that changes nothing (float values rounded to whole HU). stdout
keeps the result lines other tools read (DESIGN.md, command line contract).

The cores return these as sentences (`Volume.warnings` / `.notes`, `Film.warnings`,
`ml.train.left_out`...) instead of logging them: logged as well, the console handler of
`vertapp.cli` printed each a second time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence


def say_warnings(words: Iterable[str], about: str = "") -> None:
    """`about`: the input they concern ("film.dcm"), when a run reads more than one."""
    _say("warning", words, about)


def say_warnings_of(inputs: Sequence[tuple[str, Sequence[str]]], together: str) -> None:
    """Each input's warnings about it, `inputs` being (name, warnings); one that every
    input has is said once about `together` ("both films"): the same sentence twice, once
    per film, read as two different doubts."""
    if not inputs:
        return
    (_, first), rest = inputs[0], inputs[1:]
    shared = [w for w in first if rest and all(w in words for _, words in rest)]
    say_warnings(shared, together)
    for name, words in inputs:
        say_warnings([w for w in words if w not in shared], name)


def say_notes(words: Iterable[str], about: str = "") -> None:
    _say("note", words, about)


def _say(kind: str, words: Iterable[str], about: str) -> None:
    where = f"{about}: " if about else ""
    for word in words:
        print(f"{kind}: {where}{word}", file=sys.stderr, flush=True)
