"""What a window training run on CT MIPs leaves out, counted, in words (no Qt).

`snapshot.to_sample` skips an outline whose label no class of the model names (a C7, an
L6 or a plain "vertebra" in a T1..L5 model) and one whose mask is empty; both were
skipped without a word, so the user never learnt the run had not seen those vertebrae.
`vertapp train` says the same of a dataset file (`vertapp.ml.train.left_out`); the
sentences come from there, so the window and the command line say it in one wording.
Images are named by id, never by file name: a file name may carry the patient's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from vertapp.ml.words import bare_sentence, empty_sentence, foreign_sentence

Unclassed = Callable[[str, int], str]  # (label, outlines) -> why they have no class


@dataclass
class LeftOut:
    """What the samples of one run leave out; `add` one image's counts at a time."""

    foreign: Counter[str] = field(default_factory=Counter)  # label -> outlines, no class
    empty: Counter[str] = field(default_factory=Counter)  # label -> outlines of no pixel
    bare: list[int] = field(default_factory=list)  # image ids left with no mask at all

    def add(self, other: LeftOut) -> None:
        self.foreign.update(other.foreign)
        self.empty.update(other.empty)
        self.bare += other.bare

    def total(self) -> int:
        """Outlines left out (an image left bare is no outline more)."""
        return sum(self.foreign.values()) + sum(self.empty.values())

    def words(self, unclassed: Unclassed | None = None) -> list[str]:
        """The command line's sentences, in its order: labels of no class, outlines of no
        pixel, then the images that train as "nothing to find". `unclassed`: the run's
        own sentence for a label of no class (a radiograph body: "vertebra level unknown",
        `vertapp.xray.training.unclassed_sentence`), else "not a class of the model"."""
        say = unclassed or foreign_sentence
        words = [say(label, n) for label, n in self.foreign.items()]
        words += [empty_sentence(label, n) for label, n in self.empty.items()]
        if self.bare:
            words.append(bare_sentence(sorted(self.bare)))
        return words
