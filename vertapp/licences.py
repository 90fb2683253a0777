"""The licences of the third-party components VertApp ships with, read from their metadata.

Nothing here is hand-written: the components are the distributions VertApp requires,
followed transitively through each one's `Requires-Dist`, and each licence comes from
that distribution's own metadata (`License-Expression`, else a short `License` field,
else the `License ::` classifiers), with the licence files it declares. In the frozen
build the spec copies every distribution's metadata folder, so the same code answers
there. VertApp's own extras (test, package) are not followed: those tools are not shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = "vertapp"


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str  # SPDX expression or the words the project declares
    licence_files: tuple[str, ...]  # as the distribution lists them (License-File)
    homepage: str


def _needed(dist: metadata.Distribution, extras: frozenset[str]) -> list[Requirement]:
    """The requirements of `dist` that apply here, with the extras asked of it."""
    needed = []
    for text in dist.requires or []:
        req = Requirement(text)
        envs = [{"extra": e} for e in extras] or [{"extra": ""}]
        if req.marker is None or any(req.marker.evaluate(env) for env in envs):
            needed.append(req)
    return needed


def bundled_distributions(root: str = ROOT) -> list[metadata.Distribution]:
    """Every installed distribution `root` needs, transitively, without `root` itself.

    Extras named by a requirement (torch needs `cuda-toolkit[cublas,...]`) are followed;
    a requirement not installed here (another platform's marker) is skipped, so this
    lists what is really shipped.
    """
    found: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo = [
        (req.name, frozenset(req.extras))
        for req in _needed(metadata.distribution(root), frozenset())
    ]
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in done or key[0] == canonicalize_name(root):
            continue
        done.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[key[0]] = dist
        todo += [(req.name, frozenset(req.extras)) for req in _needed(dist, extras)]
    return [found[name] for name in sorted(found)]


def _field(meta: metadata.PackageMetadata, key: str) -> str:
    values = meta.get_all(key)
    return str(values[0]) if values else ""


def licence_of(dist: metadata.Distribution) -> str:
    """The licence a distribution declares, in the most precise form it gives."""
    meta = dist.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression).strip()
    field = str(_field(meta, "License") or "").strip()
    # Some projects paste their whole licence text here; only a short name is a name.
    if field and "\n" not in field and len(field) <= 80 and not field.lower().startswith("copy"):
        return field
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return " / ".join(classifiers)
    return "see licence files" if meta.get_all("License-File") else "not declared"


def _homepage(meta: metadata.PackageMetadata) -> str:
    if _field(meta, "Home-page"):
        return str(meta["Home-page"])
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository"):
            return url.strip()
    return ""


def component(dist: metadata.Distribution) -> Component:
    meta = dist.metadata
    return Component(
        name=str(meta["Name"]),
        version=str(meta["Version"]),
        licence=licence_of(dist),
        licence_files=tuple(meta.get_all("License-File") or ()),
        homepage=_homepage(meta),
    )


def components(root: str = ROOT) -> list[Component]:
    return [component(d) for d in bundled_distributions(root)]


def licence_text(name: str) -> str:
    """The text of the licence files `name` ships in its metadata, joined ("" if none).

    Metadata 2.4 keeps them under `licenses/`, older wheels at the top of `.dist-info`.
    """
    dist = metadata.distribution(name)
    texts = []
    for file in dist.metadata.get_all("License-File") or []:
        text = dist.read_text(f"licenses/{file}") or dist.read_text(file)
        if text:
            texts.append(f"==> {file} <==\n{text.strip()}\n")
    return "\n".join(texts)
