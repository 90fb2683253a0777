"""What recovering kept edits does to the project as saved now: counted, and in words.

A kept journal's own count of lines says nothing of what it brings back. The journal of a
window that set its edits aside starts from a copy of the project that already holds
them, so two new outlines were listed as "0 edits", recovered as "Recovered 0 kept
edits" and deleted after "Delete … (0 edits)?". A journal replayed onto an older
version can also take away what was saved since. So the count here compares the
replayed project with the one saved now, image by image and outline by outline (an
outline is one instance: a vertebra or a vertebra part).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vertapp.annotations.model import ImageRecord, Project

NAMES_SHOWN = 3  # image names listed before "and N more"


@dataclass(frozen=True)
class Effect:
    """Differences between the project as saved and as recovered (recovered minus saved)."""

    added: int = 0  # outlines (those of added images too)
    removed: int = 0  # outlines (those of removed images too)
    changed: int = 0  # outlines whose shape, label, review or flag differ
    statuses: int = 0  # images whose review status differs
    images_added: int = 0
    images_removed: int = 0
    other: int = 0  # images or project settings differing in nothing above (sizes, order)
    images: tuple[str, ...] = ()  # file names of the images whose annotations differ
    outlined: tuple[str, ...] = ()  # those of them whose outlines differ

    @property
    def nothing(self) -> bool:
        """Recovering changes nothing: all of it is in the project as saved now."""
        return not self.images and not self.other


def effect_of(saved: Project, recovered: Project) -> Effect:
    """What replacing `saved` by `recovered` changes, counted."""
    counts = dict.fromkeys(("added", "removed", "changed", "statuses", "other"), 0)
    counts.update(images_added=0, images_removed=0)
    images: list[str] = []
    outlined: list[str] = []
    for image_id in sorted(set(saved.images) | set(recovered.images)):
        before, after = saved.images.get(image_id), recovered.images.get(image_id)
        if before is not None and after is not None and before.state() == after.state():
            continue
        name = (after or before).file_name  # type: ignore[union-attr]
        images.append(name)
        if _count_image(before, after, counts):
            outlined.append(name)
    if _settings(saved) != _settings(recovered):
        counts["other"] += 1
    return Effect(**counts, images=tuple(images), outlined=tuple(outlined))


def _count_image(
    before: ImageRecord | None, after: ImageRecord | None, counts: dict[str, int]
) -> bool:
    """Add one differing image's changes to `counts`; whether its outlines differ."""
    if before is None or after is None:
        key = "images_added" if before is None else "images_removed"
        counts[key] += 1
        counts["added" if before is None else "removed"] += len((after or before).instances)  # type: ignore[union-attr]
        return bool((after or before).instances)  # type: ignore[union-attr]
    old = {i.id: i.state() for i in before.instances}
    new = {i.id: i.state() for i in after.instances}
    added, removed = len(new.keys() - old.keys()), len(old.keys() - new.keys())
    changed = sum(old[k] != new[k] for k in old.keys() & new.keys())
    counts["added"] += added
    counts["removed"] += removed
    counts["changed"] += changed
    status = before.status != after.status
    counts["statuses"] += status
    outlines = bool(added or removed or changed)
    if not outlines and not status:  # only the order of its outlines, its size, …
        counts["other"] += 1
    return outlines


def _settings(project: Project) -> tuple[object, ...]:
    return (
        project.label_set,
        repr(project.categories),
        repr(project.extra),
        repr(project.app_extra),
    )


# =================================================================== words


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def effect_words(effect: Effect, names: bool) -> str:
    """ "2 outlines added, 1 changed on 1 image; 1 image added"; "" when nothing changes.

    names: image file names may be shown (they can carry a patient's name)."""
    clauses = []
    outlines = _outline_words(effect)
    if outlines:
        clauses.append(f"{outlines} on {images_words(effect.outlined, names)}")
    if effect.images_added:
        clauses.append(f"{_count(effect.images_added, 'image')} added")
    if effect.images_removed:
        clauses.append(f"{_count(effect.images_removed, 'image')} removed")
    if effect.statuses:
        clauses.append(f"review status of {_count(effect.statuses, 'image')} changed")
    if effect.other and not clauses:
        clauses.append(f"other details changed on {images_words(effect.images, names)}")
    elif effect.other:
        clauses.append("other details changed")
    return "; ".join(clauses)


def _outline_words(effect: Effect) -> str:
    """ "2 outlines added, 1 removed, 1 changed": the noun with the first count only."""
    parts: list[str] = []
    for n, verb in (
        (effect.added, "added"),
        (effect.removed, "removed"),
        (effect.changed, "changed"),
    ):
        if n:
            parts.append(f"{_count(n, 'outline') if not parts else n} {verb}")
    return ", ".join(parts)


def images_words(images: tuple[str, ...], names: bool) -> str:
    """ "1 image", or with names "case001.png, case002.png and 3 more"."""
    if not images:
        return "the project"
    if not names:
        return _count(len(images), "image")
    shown = ", ".join(Path(n).name for n in images[:NAMES_SHOWN])
    more = len(images) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
