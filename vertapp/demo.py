"""The demo project: synthetic spines run through the real pipeline, some pre-labelled.

Each case is a phantom CT (vertapp.synth) written into the project as NIfTI,
preprocessed exactly as a user's scan would be (vertapp.preprocess), and its
sagittal MIP added as an image. Its ground-truth vertebra labels are projected
onto the MIP and traced into polygons (vertapp.annotations), so the demo shows
labelled images to browse and train on, and unlabelled ones to annotate.
Everything is headless; `vertapp demo` then opens the result in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vertapp.annotations.landmarks import KEY as LANDMARKS
from vertapp.annotations.model import ImageRecord, Project
from vertapp.annotations.ops import add_instance_from_mask
from vertapp.annotations.store import (
    IMAGES_DIR,
    PREPROCESS_DIR,
    SOURCES_DIR,
    new_project,
    save_project,
)
from vertapp.errors import VertAppError
from vertapp.io import write_volume
from vertapp.io.volume import Volume
from vertapp.jobs import Job, Progress
from vertapp.labels import ID_VERTEBRA
from vertapp.preprocess import MipResult, preprocess
from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.landmarks import landmarks
from vertapp.synth import make_ct_phantom


@dataclass(frozen=True)
class DemoCase:
    name: str
    seed: int
    first: str
    last: str
    scoliosis_mm: float = 0.0
    labelled: bool = True


DEFAULT_CASES: tuple[DemoCase, ...] = (
    DemoCase("spine01", seed=1, first="T1", last="L5"),
    DemoCase("spine02", seed=2, first="T6", last="L5", scoliosis_mm=18.0),
    DemoCase("spine03", seed=3, first="T1", last="T12"),
    DemoCase("spine04", seed=4, first="T9", last="L5", scoliosis_mm=-12.0, labelled=False),
)


def add_ct_image(
    project: Project,
    name: str,
    volume: Volume,
    result: MipResult,
    *,
    patient_key: str,
    vertebra_labels: np.ndarray | None = None,
    source: str = "manual",
) -> ImageRecord:
    """Add a preprocessed CT's MIP to a project folder; trace its labels when given.

    Writes volumes/<name>.nii.gz, images/<name>_mip.png and preprocess/<name>_mip/.
    """
    root = project.root
    if root is None:
        raise VertAppError("the project needs a folder before images can be added")
    stem = f"{name}_mip"
    volume_file = f"{SOURCES_DIR}/{name}.nii.gz"
    write_volume(volume, root / volume_file)
    (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / IMAGES_DIR / f"{stem}.png"), result.mip_u8)
    result.save(root / PREPROCESS_DIR / stem)
    rec = ImageRecord(
        id=project.new_image_id(),
        file_name=f"{IMAGES_DIR}/{stem}.png",
        width=int(result.mip_u8.shape[1]),
        height=int(result.mip_u8.shape[0]),
        kind="mip",
        source_path=volume_file,
        mip_affine=np.asarray(result.affine, dtype=float).tolist(),
        patient_key=patient_key,
        extra={"vertapp": {LANDMARKS: landmarks(result)}},
    )
    project.add_image(rec)
    if vertebra_labels is not None:
        add_label_image(project, rec.id, project_labels(vertebra_labels, volume, result), source)
    return rec


def add_label_image(project: Project, image_id: int, labels: np.ndarray, source: str) -> int:
    """Trace each vertebra of a label image (ids 1..17) into one instance; returns the count."""
    added = 0
    for label_id in np.unique(labels[labels > 0]):
        op = add_instance_from_mask(
            project, image_id, ID_VERTEBRA[int(label_id)], labels == label_id, source=source
        )
        if op is not None:
            project.apply(op)
            added += 1
    if added and source == "manual":
        project.images[image_id].status = "completed"
    return added


def build_demo_project(out: str | Path, cases: tuple[DemoCase, ...] = DEFAULT_CASES) -> Job[Path]:
    """Write the demo project into `out` (created; must not hold a project yet)."""
    folder = Path(out)
    if (folder / "project.json").exists():
        raise VertAppError(f"{folder} already holds a project; choose another --out folder")
    project = new_project(folder, label_set="vertebrae")
    for k, case in enumerate(cases):
        base = k / len(cases)
        yield Progress("demo", base, f"generating phantom {case.name}")
        phantom = make_ct_phantom(
            seed=case.seed, first=case.first, last=case.last, scoliosis_mm=case.scoliosis_mm
        )
        yield Progress("demo", base + 0.4 / len(cases), f"preprocessing {case.name}")
        result = preprocess(phantom.volume)
        labels = phantom.vertebra_labels if case.labelled else None
        add_ct_image(
            project,
            case.name,
            phantom.volume,
            result,
            patient_key=case.name,
            vertebra_labels=labels,
        )
    path = save_project(project, folder)
    yield Progress("demo", 1.0, f"demo project written to {folder}")
    return path
