"""The annotation model: a project of images, each with labelled polygon instances.

Plain Python, no Qt. A `Project` is the in-memory form of a project folder
(`project.json`, a COCO file, plus `images/`); reading and writing it is
`store.py`, the COCO mapping `coco.py`. Edits go through `ops.py` operations
(`project.apply(op)` returns the inverse), and every change is announced to the
project's observers so a view can repaint just what changed.

Lookups by id are dictionaries, so an edit costs O(vertices of one polygon),
never O(project).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vertapp import labels as vocab
from vertapp.annotations.paths import safe_join
from vertapp.errors import VertAppError

if TYPE_CHECKING:
    from vertapp.annotations.ops import Operation

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SOURCES = ("manual", "predicted", "corrected")
STATUSES = ("not_started", "in_progress", "completed", "flagged")
KINDS = ("mip", "radiograph")
LABEL_SETS = ("vertebrae", "parts", "custom")


class ReadOnlyProject(VertAppError):
    """An edit of a project opened read-only (`Project.read_only` says why)."""


def default_categories(label_set: str = "vertebrae") -> list[dict[str, Any]]:
    """COCO categories: T1..L5 with ids 1..17, or the radiograph parts with ids 1..4."""
    if label_set == "vertebrae":
        return [
            {"id": vocab.VERTEBRA_ID[n], "name": n, "supercategory": vocab.supercategory(n)}
            for n in vocab.VERTEBRAE
        ]
    if label_set == "parts":
        return [
            {"id": vocab.PART_ID[n], "name": n, "supercategory": "vertebra_part"}
            for n in vocab.PARTS
        ]
    raise ValueError(f"unknown label set {label_set!r}; expected one of {LABEL_SETS}")


@dataclass(eq=False)
class Instance:
    """One labelled object (a vertebra or a vertebra part) in one image.

    polygons: outer rings, each an (N, 2) float64 array of (x, y) pixel coordinates
    (COCO convention, open ring); holes: rings cut out of them (rare; such an
    instance is written to COCO as RLE). score/model_id stay after a prediction is
    corrected, for audit.
    """

    id: int
    label: str
    polygons: list[np.ndarray]
    holes: list[np.ndarray] = field(default_factory=list)
    source: str = "manual"
    score: float | None = None
    model_id: str | None = None
    reviewed: bool = False
    order_changed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Instance:
        """Deep copy (arrays copied), e.g. to hand to AddInstance."""
        return Instance(
            id=self.id,
            label=self.label,
            polygons=[p.copy() for p in self.polygons],
            holes=[h.copy() for h in self.holes],
            source=self.source,
            score=self.score,
            model_id=self.model_id,
            reviewed=self.reviewed,
            order_changed=self.order_changed,
            extra=copy.deepcopy(self.extra),
        )

    @property
    def n_vertices(self) -> int:
        return sum(len(p) for p in self.polygons)

    def state(self) -> tuple[Any, ...]:
        """Hashable-free but comparable snapshot (tests compare states for exact undo)."""
        return (
            self.id,
            self.label,
            tuple(p.tobytes() + bytes(str(p.shape), "ascii") for p in self.polygons),
            tuple(h.tobytes() + bytes(str(h.shape), "ascii") for h in self.holes),
            self.source,
            self.score,
            self.model_id,
            self.reviewed,
            self.order_changed,
            repr(self.extra),
        )


@dataclass(eq=False)
class ImageRecord:
    """One image of the project and its instances (ordered as drawn / as in the file).

    file_name is relative to the project folder. mip_affine maps (row, col, 1) of a
    MIP pixel to LPS mm (3x3 nested list). patient_key is pseudonymous, used to split
    train/val by patient.
    """

    id: int
    file_name: str
    width: int
    height: int
    kind: str = "mip"
    source_path: str | None = None
    mip_affine: list[list[float]] | None = None
    patient_key: str | None = None
    status: str = "not_started"
    instances: list[Instance] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def instance_index(self, instance_id: int) -> int:
        for i, inst in enumerate(self.instances):
            if inst.id == instance_id:
                return i
        raise KeyError(instance_id)

    def labels(self) -> list[str]:
        return [inst.label for inst in self.instances]

    def state(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.file_name,
            self.width,
            self.height,
            self.kind,
            self.source_path,
            repr(self.mip_affine),
            self.patient_key,
            self.status,
            tuple(i.state() for i in self.instances),
            repr(self.extra),
        )


@dataclass(frozen=True)
class Change:
    """What changed, for observers.

    kind: "instance_added" | "instance_removed" | "instance_changed" |
    "image_added" | "image_removed" | "image_changed" | "reset" (whole project replaced/reloaded).
    """

    kind: str
    image_id: int | None = None
    instance_id: int | None = None


Observer = Callable[[Change], None]


class Project:
    """Images, categories and instances of one project folder (`root`, may be None)."""

    def __init__(
        self,
        root: Path | str | None = None,
        *,
        label_set: str = "vertebrae",
        categories: list[dict[str, Any]] | None = None,
    ) -> None:
        self.root: Path | None = Path(root) if root is not None else None
        self.label_set = label_set
        self.categories: list[dict[str, Any]] = (
            categories if categories is not None else default_categories(label_set)
        )
        self.images: dict[int, ImageRecord] = {}
        self.extra: dict[str, Any] = {}  # unknown top-level COCO keys (info, licenses, ...)
        self.app_extra: dict[str, Any] = {}  # unknown keys of the top-level "vertapp" dict
        self.observers: list[Observer] = []
        self.revision = 0  # bumped on every change; store.py compares it to the saved one
        self.saved_revision = 0
        self.file_stamp: Any = None  # store.FileStamp of project.json as loaded/saved
        self.apply_hooks: list[Callable[[Operation], None]] = []  # e.g. the autosave journal
        self.journal: Any = None  # store.Journal while one is attached
        self.recovered_journal: str | None = None  # id of the journal replayed into it
        # Why edits are refused, in words ("" when editable): another session holds the
        # folder (project_lock) and this one only shows it. Checked in `apply`, which
        # every edit path goes through (the window's tools, review, predictions).
        self.read_only = ""
        self._image_of: dict[int, int] = {}  # instance id -> image id
        self._next_instance_id = 1
        self._next_image_id = 1
        self._sharing = 0  # saves in flight reading the polygon arrays (share_arrays)
        self._sharing_lock = threading.Lock()

    # ---------------------------------------------------------------- labels
    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(c["name"]) for c in self.categories)

    def category_id(self, label: str) -> int:
        for c in self.categories:
            if c["name"] == label:
                return int(c["id"])
        raise KeyError(label)

    # ---------------------------------------------------------------- lookup
    def image(self, image_id: int) -> ImageRecord:
        return self.images[image_id]

    def instance(self, instance_id: int) -> Instance:
        img = self.images[self._image_of[instance_id]]
        return img.instances[img.instance_index(instance_id)]

    def image_of(self, instance_id: int) -> ImageRecord:
        return self.images[self._image_of[instance_id]]

    def has_instance(self, instance_id: int) -> bool:
        return instance_id in self._image_of

    def iter_instances(self) -> Iterator[tuple[ImageRecord, Instance]]:
        for img in self.images.values():
            for inst in img.instances:
                yield img, inst

    def image_path(self, image: ImageRecord | int) -> Path:
        """Absolute path of an image file; refuses paths that escape the project folder."""
        img = self.images[image] if isinstance(image, int) else image
        if self.root is None:
            raise ValueError("project has no folder yet")
        return safe_join(self.root, img.file_name, f"image {img.id}")

    # ---------------------------------------------------------------- ids
    def new_instance_id(self) -> int:
        """A fresh id, never reused in this session (ids of deleted instances included)."""
        nid = self._next_instance_id
        self._next_instance_id += 1
        return nid

    def new_image_id(self) -> int:
        nid = self._next_image_id
        self._next_image_id += 1
        return nid

    # ------------------------------------------------- structure (not undoable)
    def add_image(self, image: ImageRecord) -> ImageRecord:
        """Add an image (with its instances). Adding images is project set-up, not an edit."""
        if image.id in self.images:
            raise ValueError(f"duplicate image id {image.id}")
        ids = [inst.id for inst in image.instances]
        if len(set(ids)) != len(ids) or any(i in self._image_of for i in ids):
            raise ValueError(f"image {image.id} has an instance id that is already used")
        self._next_image_id = max(self._next_image_id, image.id + 1)
        self.images[image.id] = image
        for inst in image.instances:
            self._index_instance(image.id, inst)
        self._changed(Change("image_added", image.id))
        return image

    def remove_image(self, image_id: int) -> ImageRecord:
        img = self.images.pop(image_id)
        for inst in img.instances:
            self._image_of.pop(inst.id, None)
        self._changed(Change("image_removed", image_id))
        return img

    # ----------------------------------------------- used by ops.py only
    def _index_instance(self, image_id: int, inst: Instance) -> None:
        if inst.id in self._image_of:
            raise ValueError(f"duplicate instance id {inst.id}")
        self._image_of[inst.id] = image_id
        self._next_instance_id = max(self._next_instance_id, inst.id + 1)

    def _insert_instance(self, image_id: int, inst: Instance, index: int | None) -> int:
        img = self.images[image_id]
        self._index_instance(image_id, inst)
        pos = len(img.instances) if index is None else max(0, min(index, len(img.instances)))
        img.instances.insert(pos, inst)
        return pos

    def _remove_instance(self, instance_id: int) -> tuple[int, Instance, int]:
        img = self.image_of(instance_id)
        pos = img.instance_index(instance_id)
        inst = img.instances.pop(pos)
        del self._image_of[instance_id]
        return img.id, inst, pos

    # ---------------------------------------------------------------- edits
    def apply(self, op: Operation) -> Operation:
        """Apply an edit; returns its inverse (apply that to undo).

        Always edit through here (the GUI's undo and redo too): apply hooks such as
        the autosave journal see every applied operation.
        """
        if self.read_only:
            raise ReadOnlyProject(self.read_only)
        if self._sharing:
            self._unshare(op)
        inverse = op.apply(self)
        for hook in list(self.apply_hooks):
            hook(op)
        return inverse

    def share_arrays(self, on: bool) -> None:
        """A save in flight reads the polygon arrays from another thread (on=True when it
        takes its snapshot, False when it has written them). Meanwhile each edit first
        gives the instance it names (`instance_id`, or those of a Macro's `ops`) fresh
        copies, so an edit writing into an array (MoveVertex) never reaches the save.
        Arrays are only ever changed through operations that name their instance."""
        with self._sharing_lock:
            self._sharing = max(0, self._sharing + (1 if on else -1))

    def _unshare(self, op: Operation) -> None:
        for sub in getattr(op, "ops", ()):
            self._unshare(sub)
        instance_id = getattr(op, "instance_id", None)
        if instance_id in self._image_of:
            inst = self.instance(instance_id)
            inst.polygons = [p.copy() for p in inst.polygons]
            inst.holes = [h.copy() for h in inst.holes]

    @property
    def modified(self) -> bool:
        """Changed since loaded or saved."""
        return self.revision != self.saved_revision

    # ------------------------------------------------------------ observers
    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(change)` after every change; returns an unsubscribe function."""
        self.observers.append(observer)

        def unsubscribe() -> None:
            if observer in self.observers:
                self.observers.remove(observer)

        return unsubscribe

    def _changed(self, change: Change) -> None:
        self.revision += 1
        for obs in list(self.observers):
            try:
                obs(change)
            except Exception:
                # A broken view must not leave an edit half done (its inverse unreturned).
                log.exception("project observer %r failed on %s", obs, change)

    def notify_reset(self) -> None:
        self._changed(Change("reset"))

    # ---------------------------------------------------------------- state
    def state(self) -> tuple[Any, ...]:
        """Comparable snapshot of everything saved (tests: exact undo/redo)."""
        return (
            self.label_set,
            repr(self.categories),
            tuple(img.state() for img in self.images.values()),
            repr(self.extra),
            repr(self.app_extra),
        )
