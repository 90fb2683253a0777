"""`vertapp predict [MODEL.pt] INPUT... --out PRED.json [--score 0.9]`.

INPUT: PNG/JPEG MIPs or radiographs, DICOM films (DX, CR, ...), a project folder or COCO
file (its images), or CT volumes (NIfTI/MHA/NRRD, a DICOM folder or one file of it), which
go through preprocessing first.
MODEL: a checkpoint (.pt/.pth) or the word `starter`; left out, a project INPUT's own
model (PROJECT/models/model.pt) is used, else the starter model VertApp ships.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vertapp.annotations.hu_verdict import not_hu_verdict  # the window's Predict's rule too
from vertapp.commands.arg_types import score_value
from vertapp.commands.predict_files import OutNames, image_record
from vertapp.errors import CancelledError, InputError, VertAppError

if TYPE_CHECKING:
    from vertapp.ml.checkpoint import LoadedModel
    from vertapp.ml.predict import Prediction

log = logging.getLogger(__name__)

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
    parser.add_argument(
        "--keep-names",
        action="store_true",
        help="write the inputs' own file names (and paths) into the COCO file and the MIP "
        "names; default: a DICOM's or a patient folder's name is written as a digest "
        "(xray-1a2b3c4d5e6f.png, a PNG copy of the film beside --out), as it may name the "
        "patient, and an image not in the --out folder itself is copied beside it under "
        "its own name (no folder above or below --out is written)",
    )
    parser.add_argument(
        "--predict-non-hu",
        action="store_true",
        help="predict a CT volume even when the reader says its values are not CT Hounsfield "
        "units (an 8-bit picture, a label map, an empty export); by default no vertebrae "
        "are written for it",
    )


# An image record's private mark (taken out before the COCO file is written): why the
# volume was not predicted.
NOT_PREDICTED = "_not_predicted"


def _mip_from_volume(
    path: Path,
    out_dir: Path,
    names: OutNames | None = None,
    *,
    keep_names: bool = False,
    predict_non_hu: bool = False,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The volume's MIP, written into `out_dir` under a name `names` picks (without it:
    <stem>_mip.png, the caller having made sure that file may be replaced). A volume the
    reader judged not CT in Hounsfield units gets the record's NOT_PREDICTED mark (the
    reason) unless `predict_non_hu`."""
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
    # COCO file (ctimport.case: the import's rule) unless --keep-names; a volume file
    # keeps its own name
    hidden = needs_digest(path) and not keep_names
    stem = case_name(path) if hidden else path.name.split(".")[0]
    name = names.pick(stem) if names is not None else f"{stem}_mip.png"
    write_image(out_dir / name, result.mip_u8)  # atomic: never half a PNG
    source = source_name(path) if not keep_names else path.name
    meta = {"source_volume": source, KEY: landmarks(result)}
    record: dict[str, Any] = {"file_name": name, "vertapp": meta}
    verdict = None if predict_non_hu else not_hu_verdict(volume.warnings)
    if verdict is not None:
        record[NOT_PREDICTED] = (
            f"not predicted, no vertebrae written for it: {verdict} "
            "(--predict-non-hu predicts it anyway)"
        )
    return result.mip_u8, record


def collect_images(
    inputs: list[str],
    out: Path,
    model: Path | None = None,
    kind: str | None = None,
    keep_names: bool = False,
    predict_non_hu: bool = False,
    *,
    names: OutNames | None = None,
    failed: list[tuple[str, str]] | None = None,
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """Images to predict and their COCO image records (ids unique, file names relative).

    An INPUT that cannot be read leaves no file of its own behind (a MIP or copy written
    for it is removed). Without `failed` its error is raised; with it, it is recorded
    there ((INPUT, the reason in words)) and the other INPUTs are read all the same.
    `names`: the run's image names beside `out` (its files removed if the run fails).

    `kind`: the model's ('radiograph', 'ct', None: not judged, `xray.model_kind`); an
    input of the other kind is refused in words before predicting (a volume: before
    preprocessing).
    A radiograph model's films are read as training and `vertapp xray` read them
    (`read_radiograph`: 16-bit windowed to its 0.5-99.5 % range, not stretched min-max).
    A single DICOM file goes the way the io rule sends it (`vertapp.io.dicom_film`): a
    film (DX, CR, ... or a 2-D secondary capture) is predicted as it is, a CT slice's
    series is read as a volume; the suffix does not decide.
    An image or film whose name may name the patient (`xray.film_names`) is recorded as a
    PNG copy beside `out` (`predict_files.image_record`) unless `keep_names`; so is one
    not in `out`'s folder itself, under its own name (the folders above or below it may
    name the patient).
    A CT volume the reader judged not CT in Hounsfield units (`not_hu_verdict`) comes with
    its record marked NOT_PREDICTED (the reason in words) unless `predict_non_hu`.
    """
    names = names if names is not None else OutNames.for_out(out, inputs)
    inputs_of = _Inputs(out, model or Path("the model"), kind, names, keep_names, predict_non_hu)
    images: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    for raw in inputs:
        try:
            items = inputs_of.each(Path(raw))
        except CancelledError:
            raise
        except INPUT_FAILURES as err:
            if failed is None:
                raise
            failed.append((raw, failure_words(err)))
            continue
        for img, rec in items:
            rec.update(id=len(records) + 1, height=int(img.shape[0]), width=int(img.shape[1]))
            images.append(img)
            records.append(rec)
    return images, records


# What one INPUT's failure may be: an error in words, or a damaged file failing deep
# inside a reading library (as `vertapp import` takes a case's); the other INPUTs go on.
INPUT_FAILURES = (VertAppError, OSError, RuntimeError, ValueError, MemoryError)


def failure_words(err: BaseException) -> str:
    """An INPUT's failure in words: the error's own (it names the file), or a library's
    error with its kind ("ValueError: ...")."""
    if isinstance(err, VertAppError):
        return str(err)
    log.debug("an input failed", exc_info=err)
    return f"{type(err).__name__}: {err}"


Rec = dict[str, Any]
Item = tuple[np.ndarray, Rec]


@dataclass
class _Inputs:
    """How `collect_images` reads one INPUT: the run's --out, model and its kind."""

    out: Path
    model: Path
    kind: str | None
    names: OutNames
    keep_names: bool = False
    predict_non_hu: bool = False

    def each(self, path: Path) -> list[Item]:
        """`items`, the files written for them removed when they fail."""
        mark = self.names.mark()
        try:
            return self.items(path)
        except BaseException:
            self.names.remove_since(mark)
            raise

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
            return [
                _mip_from_volume(
                    path,
                    self.out.parent,
                    self.names,
                    keep_names=self.keep_names,
                    predict_non_hu=self.predict_non_hu,
                )
            ]
        raise InputError(f"{path}: no such file or folder")

    @property
    def films(self) -> bool:
        from vertapp.xray.model_kind import RADIOGRAPH

        return self.kind == RADIOGRAPH

    def _image(self, path: Path) -> Item:
        """A PNG/JPEG/TIFF: a film for a radiograph model, else a MIP (the file cannot say)."""
        from vertapp.ml.dataset import read_image
        from vertapp.xray.images import read_noted

        if self.films:
            return self._film(path)
        # the file's own values for a copy, where one is made (read_image: 8-bit)
        return read_image(path), self._record(path, lambda: read_noted(path)[0], film=False)

    def _dicom_film(self, path: Path, what: str) -> Item:
        """A DICOM film: a radiograph whatever the model; a CT model is refused in words."""
        from vertapp.xray.model_kind import RADIOGRAPH, check_kind

        check_kind(self.model, self.kind, RADIOGRAPH, f"{path.name} is {what}")
        return self._film(path)

    def _film(self, path: Path) -> Item:
        from vertapp.commands.notices import say_warnings
        from vertapp.xray.images import read_noted
        from vertapp.xray.training import grey_u8

        pixels, warnings = read_noted(path)  # once: the copy, where one is made, keeps them
        say_warnings(warnings, path.name)
        return grey_u8(pixels), self._record(path, pixels, film=True)

    def _record(self, path: Path, pixels: np.ndarray | Callable[[], Any], film: bool) -> Rec:
        return image_record(path, pixels, self.names, film=film, keep_names=self.keep_names)

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
    """Exit status 1 when an INPUT failed (each named on stderr with its reason; the
    others are predicted and written all the same), or when all did (nothing written)."""
    from vertapp.commands.new_paths import first_missing, remove_new_folders
    from vertapp.io.out_paths import make_out_folder

    out = Path(args.out)
    check_out(out, args.inputs)  # before the model is loaded or any volume preprocessed
    model, inputs, why = choose_model(args.inputs)
    if why != "given":
        print(f"model: {model.name} ({why})")
    made = first_missing(out.parent)
    make_out_folder(out.parent)
    names = OutNames.for_out(out, inputs)
    try:
        return _predict(args, out, model, inputs, names)
    except BaseException:
        # a failed run leaves nothing of its own: no MIP or copy without a COCO file
        # naming it, no folder made for it (an earlier run's files are left as they are)
        names.remove_since(0)
        remove_new_folders(out.parent, made)
        raise


def _predict(
    args: argparse.Namespace, out: Path, model: Path, inputs: list[str], names: OutNames
) -> int:
    from vertapp.annotations.store import atomic_write_bytes
    from vertapp.ml.checkpoint import load_checkpoint
    from vertapp.ml.coco_out import predictions_to_coco
    from vertapp.ml.train import resolve_device
    from vertapp.xray.model_kind import loaded_model_kind

    loaded = load_checkpoint(model, device=str(resolve_device(args.device)))
    kind = loaded_model_kind(loaded)
    failed: list[tuple[str, str]] = []
    images, records = collect_images(
        inputs,
        out,
        model,
        kind,
        args.keep_names,
        getattr(args, "predict_non_hu", False),
        names=names,
        failed=failed,
    )
    say_failed(failed, len(inputs), out)
    preds, hips, run_on = _predictions(args, loaded, images, records)
    coco = predictions_to_coco(preds, records, loaded.class_names, model_name=model.name)
    atomic_write_bytes(out, json.dumps(coco).encode("utf-8"))  # temp + fsync + rename
    names.keep()  # the COCO file names them now: a later failure leaves them
    _say_found(args, out, coco, loaded, kind, bool(run_on))
    _say_no_landmark(args, loaded.class_names, records, hips, preds)
    if failed:
        print(
            f"{len(failed)} of {counted(len(inputs), 'input')} failed (said above); "
            f"{out} holds the others' predictions",
            file=sys.stderr,
        )
    return 1 if failed else 0


def say_failed(failed: list[tuple[str, str]], n_inputs: int, out: Path) -> None:
    """Each failed INPUT and why on stderr; when every one failed, an InputError that
    says so (a single INPUT's: its own words, as they were before INPUTs could fail
    one by one)."""
    if n_inputs == 1 and failed:
        raise InputError(failed[0][1])
    for raw, reason in failed:
        said = reason if reason.startswith(str(Path(raw))) else f"{raw}: {reason}"
        print(f"FAILED {said}", file=sys.stderr)
    if failed and len(failed) == n_inputs:
        left = "left as it was" if out.exists() else "not written"
        raise InputError(
            f"nothing predicted: all {n_inputs} inputs failed (each said above); {out} was {left}"
        )


def _predictions(
    args: argparse.Namespace, loaded: LoadedModel, images: list[np.ndarray], records: list[Rec]
) -> tuple[list[Prediction], list[float | None], list[int]]:
    """Each image's prediction (an empty one for an image not predicted: NOT_PREDICTED,
    said on stderr), each image's hip landmark row, and the images predicted."""
    from vertapp.annotations.landmarks import record_hip_top_row
    from vertapp.commands.notices import say_warnings
    from vertapp.jobs import run_job
    from vertapp.ml.predict import predict_job

    hips = [record_hip_top_row(r.get("vertapp")) for r in records]
    skipped = {i: r.pop(NOT_PREDICTED) for i, r in enumerate(records) if NOT_PREDICTED in r}
    run_on = [i for i in range(len(images)) if i not in skipped]
    job = predict_job(
        loaded,
        [images[i] for i in run_on],
        score_thresh=args.score,
        order=not args.no_order,
        hip_top_rows=[hips[i] for i in run_on],
    )
    predicted = dict(zip(run_on, run_job(job), strict=True))
    for i, why in skipped.items():
        say_warnings([why], f"image {records[i]['id']}")
    k = len(loaded.class_names)
    preds = [
        predicted.get(i) or empty_prediction(images[i].shape[:2], k) for i in range(len(images))
    ]
    return preds, hips, run_on


def _say_found(
    args: argparse.Namespace,
    out: Path,
    coco: dict[str, Any],
    loaded: LoadedModel,
    kind: str | None,
    ran: bool,
) -> None:
    from vertapp.commands.notices import say_warnings

    changed = sum(a["vertapp"]["order_changed"] for a in coco["annotations"])
    found = len(coco["annotations"])
    print(
        f"{counted(found, 'instance')} in {counted(len(coco['images']), 'image')} -> {out}"
        f" ({counted(changed, 'label')} changed by ordering)"
    )
    if not found and ran:
        threshold = loaded.config.score_thresh if args.score is None else args.score
        say_warnings([nothing_found(threshold, args.score is not None, kind)])


def _say_no_landmark(
    args: argparse.Namespace,
    class_names: list[str],
    records: list[Rec],
    hips: list[float | None],
    preds: list[Prediction],
) -> None:
    from vertapp.ml.predict import uses_ordering
    from vertapp.review.numbering_caveat import NO_LANDMARK

    if args.no_order or not uses_ordering(class_names):
        return
    # ids, not file names: a CT's name may carry the patient's (DESIGN.md, privacy)
    bare = [
        r["id"] for r, h, p in zip(records, hips, preds, strict=True) if h is None and len(p.labels)
    ]
    if bare:
        what = NO_LANDMARK.split(";")[0]
        ids = f"{'id' if len(bare) == 1 else 'ids'} {', '.join(map(str, bare))}"
        print(f"{len(bare)} of {counted(len(records), 'image')} ({ids}): {what}")


def empty_prediction(shape: tuple[int, ...], k: int) -> Prediction:
    """No instance on an image of `shape` (rows, cols) with `k` classes."""
    from vertapp.ml.predict import Prediction

    return Prediction(
        boxes=np.zeros((0, 4), np.float32),
        labels=np.zeros(0, np.int64),
        scores=np.zeros(0, np.float32),
        masks=np.zeros((0, *shape[:2]), bool),
        class_probs=np.zeros((0, k), np.float32),
        order_changed=np.zeros(0, bool),
        original_labels=np.zeros(0, np.int64),
    )


def counted(n: int, noun: str) -> str:
    """'1 image', '2 images', '0 images'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def nothing_found(threshold: float, given: bool, kind: str | None) -> str:
    """What to try when no instance was found: a lower threshold (a third of it, where
    that is still above torchvision's own floor of 0.05), the right kind of input."""
    from vertapp.xray.model_kind import CT, RADIOGRAPH

    whose = "--score" if given else "the model's threshold"
    lower = round(threshold / 3, 2)
    what = {RADIOGRAPH: "a spine radiograph", CT: "a CT volume or its sagittal MIP"}.get(kind or "")
    tries = [f"try --score {lower:g}"] * (lower >= 0.05)
    tries += [f"check that the input is {what}"] * bool(what)
    said = f"nothing found: no detection scored above {whose} {threshold:.2f}"
    return f"{said}; {', or '.join(tries)}" if tries else said
