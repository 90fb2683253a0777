"""`vertapp predict [MODEL.pt] INPUT... --out PRED.json [--score 0.9]`.

INPUT: PNG/JPEG MIPs or radiographs, DICOM films (DX, CR, ...), a project folder or COCO
file (its images), or CT volumes (NIfTI/MHA/NRRD, a DICOM folder or one file of it), which
go through preprocessing first.
MODEL: a checkpoint (.pt/.pth) or the word `starter`; left out, a project INPUT's own
model (PROJECT/models/model.pt) is used, else the starter model VertApp ships.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vertapp.commands.arg_types import score_value
from vertapp.errors import InputError

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="[MODEL.pt] INPUT",
        help="MODEL: a checkpoint written by `vertapp train` (.pt), or 'starter'; left out: "
        "the project's own model (PROJECT/models/model.pt), else the shipped starter model",
    )
    parser.add_argument("--out", required=True, help="COCO file to write")
    parser.add_argument(
        "--score",
        type=score_value,
        help="minimum confidence (default: the model's own; the starter's 0.3, the paper and fast presets' 0.9, the mobile one's 0.5)",
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument(
        "--no-order",
        action="store_true",
        help="keep the model's labels (no top-to-bottom re-assignment)",
    )


def _rel(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), base.resolve())
    except ValueError:  # another drive on Windows
        return str(path.resolve())


@dataclass
class MipNames:
    """File names for the MIPs one predict run writes beside its --out file.

    Two volumes of one name (a/ct.nii.gz, b/ct.nii.gz) both wrote ct_mip.png, the second
    over the first, and any file of that name was replaced: a name is unique in the run,
    and an existing file is only replaced when it is ours, a MIP that the COCO file at
    --out (an earlier run of this command) names, and not an input of this run.
    """

    folder: Path
    ours: frozenset[str] = frozenset()
    inputs: frozenset[str] = frozenset()  # resolved paths of this run's inputs
    taken: set[str] = field(default_factory=set)

    @classmethod
    def for_out(cls, out: Path, inputs: list[str]) -> MipNames:
        resolved = frozenset(os.path.realpath(i) for i in inputs)
        return cls(out.parent, _earlier_mips(out), resolved)

    def pick(self, stem: str) -> str:
        """`stem`_mip.png, else `stem`_2_mip.png, ...: the first name free to write."""
        for n in itertools.count(1):
            name = f"{stem}_mip.png" if n == 1 else f"{stem}_{n}_mip.png"
            if name not in self.taken and self._free(name):
                self.taken.add(name)
                return name
        raise AssertionError("unreachable")

    def _free(self, name: str) -> bool:
        path = self.folder / name
        if os.path.realpath(path) in self.inputs:
            return False
        return not os.path.lexists(path) or (name in self.ours and path.is_file())


def _earlier_mips(out: Path) -> frozenset[str]:
    """The MIP files an earlier run's COCO file at `out` names (records made from a
    volume carry vertapp.source_volume); none when there is none or it is unreadable."""
    if not out.is_file():
        return frozenset()
    try:
        images = json.loads(out.read_bytes()).get("images", [])
        return frozenset(
            str(rec["file_name"])
            for rec in images
            if isinstance(rec, dict)
            and isinstance(rec.get("vertapp"), dict)
            and "source_volume" in rec["vertapp"]
            and "/" not in str(rec.get("file_name", "/"))
        )
    except (OSError, ValueError, AttributeError, TypeError, KeyError):
        return frozenset()


def _mip_from_volume(
    path: Path, out_dir: Path, names: MipNames | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """The volume's MIP, written into `out_dir` under a name `names` picks (without it:
    <stem>_mip.png, the caller having made sure that file may be replaced)."""
    try:
        from vertapp.io import read_volume
        from vertapp.preprocess import preprocess
    except ImportError as err:
        raise InputError(f"{path}: volume input needs the preprocessing module ({err})") from err
    from vertapp.annotations.landmarks import KEY
    from vertapp.commands.notices import say_notes, say_warnings
    from vertapp.ctimport.case import case_name, needs_digest, source_name
    from vertapp.preprocess.landmarks import landmarks
    from vertapp.preprocess.result import write_image

    volume = read_volume(path)
    result = preprocess(volume)
    # as `vertapp preprocess` says them: a 0-instance run has a why
    say_warnings(volume.warnings + result.warnings, path.name)
    say_notes(volume.notes, path.name)
    # a DICOM folder's or a patient folder's name never goes into a file name or the
    # COCO file (ctimport.case: the import's rule); a volume file keeps its own name
    stem = case_name(path) if needs_digest(path) else path.name.split(".")[0]
    name = names.pick(stem) if names is not None else f"{stem}_mip.png"
    write_image(out_dir / name, result.mip_u8)  # atomic: never half a PNG
    meta = {"source_volume": source_name(path), KEY: landmarks(result)}
    return result.mip_u8, {"file_name": name, "vertapp": meta}


def collect_images(
    inputs: list[str], out: Path, model: Path | None = None, kind: str | None = None
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """Images to predict and their COCO image records (ids unique, file names relative).

    `kind`: the model's ('radiograph', 'ct', None: not judged, `xray.model_kind`); an
    input of the other kind is refused in words before predicting (a volume: before
    preprocessing).
    A radiograph model's films are read as training and `vertapp xray` read them
    (`read_radiograph`: 16-bit windowed to its 0.5-99.5 % range, not stretched min-max).
    A single DICOM file goes the way the io rule sends it (`vertapp.io.dicom_film`): a
    film (DX, CR, ... or a 2-D secondary capture) is predicted as it is, a CT slice's
    series is read as a volume; the suffix does not decide.
    """
    inputs_of = _Inputs(out, model or Path("the model"), kind, MipNames.for_out(out, inputs))
    images: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    for raw in inputs:
        for img, rec in inputs_of.items(Path(raw)):
            rec.update(id=len(records) + 1, height=int(img.shape[0]), width=int(img.shape[1]))
            images.append(img)
            records.append(rec)
    return images, records


Item = tuple[np.ndarray, dict[str, Any]]


@dataclass
class _Inputs:
    """How `collect_images` reads one INPUT: the run's --out, model and its kind."""

    out: Path
    model: Path
    kind: str | None
    mip_names: MipNames

    def items(self, path: Path) -> list[Item]:
        from vertapp.io.dicom_film import dicom_file_kind
        from vertapp.xray.model_kind import CT, check_kind

        if path.suffix.lower() in IMAGE_EXT and path.is_file():
            return [self._image(path)]
        if path.suffix.lower() == ".json" or (path / "project.json").is_file():
            return self._dataset(path)
        dicom = dicom_file_kind(path)
        if dicom is not None and dicom.film:
            return [self._dicom_film(path, dicom.what)]
        if path.exists():
            what = f"is {dicom.what}" if dicom is not None else "is a CT volume"
            check_kind(self.model, self.kind, CT, f"{path.name} {what}")
            return [_mip_from_volume(path, self.out.parent, self.mip_names)]
        raise InputError(f"{path}: no such file or folder")

    @property
    def films(self) -> bool:
        from vertapp.xray.model_kind import RADIOGRAPH

        return self.kind == RADIOGRAPH

    def _image(self, path: Path) -> Item:
        """A PNG/JPEG/TIFF: a film for a radiograph model, else a MIP (the file cannot say)."""
        from vertapp.ml.dataset import read_image

        img = _read_film(path, path.name) if self.films else read_image(path)
        return img, {"file_name": _rel(path, self.out.parent)}

    def _dicom_film(self, path: Path, what: str) -> Item:
        """A DICOM film: a radiograph whatever the model; a CT model is refused in words."""
        from vertapp.xray.model_kind import RADIOGRAPH, check_kind

        check_kind(self.model, self.kind, RADIOGRAPH, f"{path.name} is {what}")
        return _read_film(path, path.name), {"file_name": _rel(path, self.out.parent)}

    def _dataset(self, path: Path) -> list[Item]:
        """A project folder or COCO file: every image, each checked against the model."""
        from vertapp.ml.dataset import load_samples, resolve_dataset_path, safe_join
        from vertapp.xray.model_kind import RADIOGRAPH, check_kind, record_kind

        # films are read below, as films (a COCO file may name DICOM films); read here
        # as MIPs too, each was decoded twice and a DICOM one refused
        samples = load_samples(path, with_images=not self.films)
        root = resolve_dataset_path(path)[1]
        for s in samples:
            seen = record_kind(s.record)
            noun = "a radiograph" if seen == RADIOGRAPH else "a CT MIP"
            what = f"image {s.record.get('id')} of {path.name} is {noun}"
            check_kind(self.model, self.kind, seen, what)
        return [
            (
                _read_film(
                    safe_join(root, s.record["file_name"], f"image {s.record.get('id')}"),
                    # an id: a project's file name may carry the patient's
                    f"image {s.record.get('id')} of {path.name}",
                )
                if self.films
                else s.image,
                {k: v for k, v in s.record.items() if k != "id"},
            )
            for s in samples
        ]


def _read_film(path: Path, name: str) -> np.ndarray:
    """A film as training and `vertapp xray` read it (`read_radiograph`: 16-bit windowed
    to its 0.5-99.5 % range); the reader's doubts (frames dropped...) said on stderr."""
    from vertapp.commands.notices import say_warnings
    from vertapp.xray.training import read_radiograph_noted

    image, warnings = read_radiograph_noted(path)
    say_warnings(warnings, name)
    return image


MODEL_EXT = (".pt", ".pth")


def choose_model(items: list[str]) -> tuple[Path, list[str], str]:
    """(model file, inputs, why this model) from the positional arguments.

    The first item is the model when it is a checkpoint or 'starter'; otherwise every item
    is an input and the model is a project input's own, else the shipped starter."""
    from vertapp.ml import starter

    first = items[0]
    if len(items) == 1 and (first == "starter" or Path(first).suffix.lower() in MODEL_EXT):
        raise InputError(f"{first}: a model and no INPUT; give the images or project to predict")
    if len(items) > 1 and first == "starter":
        return starter.starter_path(), items[1:], "the starter model shipped with VertApp"
    if len(items) > 1 and Path(first).suffix.lower() in MODEL_EXT:
        return Path(first), items[1:], "given"
    projects = [Path(i) for i in items if (Path(i) / "project.json").is_file()]
    for project in projects:
        own = starter.project_model_path(project)
        if own.is_file():
            return own, items, f"the project's own model ({project.name})"
    from vertapp.xray.training import radiograph_vocabulary

    for project in projects:
        if radiograph_vocabulary(project):
            raise InputError(
                f"{project}: a project of radiographs has no model of its own yet; the "
                "shipped starter model is for CT MIPs: give a model (vertapp predict MODEL.pt …)"
            )
    why = "the project has no model of its own" if projects else "no model given"
    return starter.starter_path(), items, f"the starter model shipped with VertApp: {why}"


def check_out(out: Path, items: list[str]) -> None:
    """Refuse, before the model is loaded, an --out that predictions must not replace:
    a folder or a path through a file, an input (the model, an image, a COCO file, a
    project's project.json), any project's project.json (its manual annotations were
    replaced by bare predictions), or an existing file that is not JSON."""
    from vertapp.commands.outputs import (
        check_file_out,
        check_not_input,
        check_not_project_file,
        input_entry,
        looks_like_json_object,
    )

    check_file_out(out)
    check_not_input(out, (input_entry("the input", Path(item)) for item in items))
    check_not_project_file(out)
    if out.is_file() and not looks_like_json_object(out):
        raise InputError(
            f"--out {out}: is an existing file that is not a COCO/JSON file; predictions "
            "would replace it: name a .json file"
        )


def run(args: argparse.Namespace) -> int:
    from vertapp.annotations.landmarks import record_hip_top_row
    from vertapp.annotations.store import atomic_write_bytes
    from vertapp.io.out_paths import make_out_folder
    from vertapp.jobs import run_job
    from vertapp.ml.checkpoint import load_checkpoint
    from vertapp.ml.coco_out import predictions_to_coco
    from vertapp.ml.predict import predict_job, uses_ordering
    from vertapp.ml.train import resolve_device
    from vertapp.review.numbering_caveat import NO_LANDMARK

    out = Path(args.out)
    check_out(out, args.inputs)  # before the model is loaded or any volume preprocessed
    model, inputs, why = choose_model(args.inputs)
    if why != "given":
        print(f"model: {model.name} ({why})")
    make_out_folder(out.parent)
    loaded = load_checkpoint(model, device=str(resolve_device(args.device)))
    from vertapp.xray.model_kind import loaded_model_kind

    images, records = collect_images(inputs, out, model, loaded_model_kind(loaded))
    hips = [record_hip_top_row(r.get("vertapp")) for r in records]
    job = predict_job(
        loaded, images, score_thresh=args.score, order=not args.no_order, hip_top_rows=hips
    )
    preds = run_job(job)
    coco = predictions_to_coco(preds, records, loaded.class_names, model_name=model.name)
    atomic_write_bytes(out, json.dumps(coco).encode("utf-8"))  # temp + fsync + rename
    changed = sum(a["vertapp"]["order_changed"] for a in coco["annotations"])
    print(
        f"{len(coco['annotations'])} instances in {len(images)} images -> {out}"
        f" ({changed} labels changed by ordering)"
    )
    if not args.no_order and uses_ordering(loaded.class_names):
        # ids, not file names: a CT's name may carry the patient's (DESIGN.md, privacy)
        bare = [
            r["id"]
            for r, h, p in zip(records, hips, preds, strict=True)
            if h is None and len(p.labels)
        ]
        if bare:
            what = NO_LANDMARK.split(";")[0]
            print(f"{len(bare)} of {len(images)} images (ids {', '.join(map(str, bare))}): {what}")
    return 0
