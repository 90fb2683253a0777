"""What a model was trained on, kept in its checkpoint: a score on those scans is no test.

Compare with truth on a scan the model learnt from reads like a test result (the shipped
starter scores 0.948 Dice on a VerSe case it was trained on, and 0.2-0.7 on patients it
never saw). Training records, under TRAINED_ON, digests of the patient keys and of the
MIP pixels of its training split (not its validation patients, phantoms or re-sliced
copies); a fine-tune adds those of the model it started from. Digests, not the keys: a
key is often the patient's name and a model file is shared (no identifiers in it). Plain
lists of text: loadable with weights_only=True; an older checkpoint has none (None).
No torch here: the window reads it with a prediction's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TRAINED_ON = "trained_on"  # checkpoint key: {"patients": [digest, ...], "images": [...]}
DIGEST_CHARS = 16
# The shipped starter predates the record: its real training patients (MODEL_CARD.md, the
# VerSe'19 subjects and the TotalSegmentator example) and the digests of their MIPs as
# File > Open and `vertapp import` make them (preprocessing's defaults).
STARTER_SUBJECTS = ("sub-verse005", "sub-verse006", "sub-verse007", "sub-verse008")
STARTER_PATIENTS = (*STARTER_SUBJECTS, "totalseg-example")
STARTER_IMAGES = (
    "76e58d15187c73ce",  # sub-verse005, 180 x 103 px
    "42b241ee757092e3",  # sub-verse006, 86 x 100
    "0c68781dfb1564b0",  # sub-verse007, 224 x 123
    "b778000894cb53a9",  # sub-verse008, 222 x 95
    "24bb7f736722d740",  # totalseg-example, 231 x 184
)


@dataclass(frozen=True)
class TrainedOn:
    patients: frozenset[str] = frozenset()  # patient_digest of each training patient
    images: frozenset[str] = frozenset()  # image_digest of each training MIP

    def __bool__(self) -> bool:
        return bool(self.patients or self.images)

    def __or__(self, other: TrainedOn | None) -> TrainedOn:
        if other is None:
            return self
        return TrainedOn(self.patients | other.patients, self.images | other.images)

    def plain(self) -> dict[str, list[str]]:
        """As the checkpoint keeps it."""
        return {"patients": sorted(self.patients), "images": sorted(self.images)}

    def saw(self, patient: str, pixels: Any = None) -> bool:
        """Whether this image's patient, or these very pixels, were trained on."""
        if patient and patient_digest(patient) in self.patients:
            return True
        return pixels is not None and bool(self.images) and image_digest(pixels) in self.images


def patient_digest(key: str) -> str:
    return hashlib.sha256(f"vertapp-patient:{key}".encode()).hexdigest()[:DIGEST_CHARS]


def image_digest(pixels: Any) -> str:
    """Of a MIP's 8-bit pixels with their shape (the same picture in another project)."""
    arr = np.ascontiguousarray(pixels, np.uint8)
    head = "x".join(map(str, arr.shape)).encode() + b":"
    return hashlib.sha256(head + arr.tobytes()).hexdigest()[:DIGEST_CHARS]


def of_samples(samples: Iterable[Any]) -> TrainedOn:
    """The record of training samples (`vertapp.ml.dataset.Sample`: patient, image)."""
    samples = list(samples)
    return TrainedOn(
        frozenset(patient_digest(s.patient) for s in samples if s.patient),
        frozenset(image_digest(s.image) for s in samples),
    )


def read(value: Any) -> TrainedOn | None:
    """A checkpoint's record, or None when it has none or one not of plain text lists
    (a checkpoint is untrusted input: a wrong one must not break a prediction)."""
    if not isinstance(value, dict):
        return None
    lists = [value.get(k, []) for k in ("patients", "images")]
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists):
        return None
    return TrainedOn(frozenset(lists[0]), frozenset(lists[1]))


def starter_trained_on() -> TrainedOn:
    """The shipped starter's (it records none): its patients under the keys an import
    gives them (names shown: the subject; hidden: its neutral key), and its MIPs."""
    from vertapp.io.neutral_names import neutral_key

    keys = [k for s in STARTER_PATIENTS for k in (s, neutral_key(s))]
    return TrainedOn(frozenset(map(patient_digest, keys)), frozenset(STARTER_IMAGES))


def of_checkpoint(data: dict[str, Any], path: Path | None) -> TrainedOn | None:
    """What the checkpoint `data` (read from `path`) records, the shipped starter's where
    it is that file, else None (trained before the record: nothing can be said)."""
    recorded = read(data.get(TRAINED_ON))
    if recorded is not None:
        return recorded
    from vertapp.ml.starter import is_shipped_starter

    return starter_trained_on() if path is not None and is_shipped_starter(path) else None
