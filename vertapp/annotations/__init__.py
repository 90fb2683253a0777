"""vertapp.annotations: the annotation model, edit operations, COCO / VIA / labelme I/O.

Headless (no Qt). Modules:
  geometry  polygons <-> masks (pycocotools rasterisation, OpenCV tracing), repair
  model     Project, ImageRecord, Instance, Change (observer events)
  ops       edit operations (apply -> inverse), Macro, History, builders
  coco      project <-> COCO dict, prediction results
  via       VIA 2 import/export; labelme: labelme import/export
  store     project folder load/save (atomic, backup, conflicts), autosave journal
  convert   format detection and conversion (`vertapp convert`)
See docs/annotations.md.
"""

from vertapp.annotations.geometry import (
    GeometryError,
    clean_polygon,
    clean_polygons,
    mask_to_polygons,
    mask_to_rings,
    polygons_to_mask,
)
from vertapp.annotations.model import Change, ImageRecord, Instance, Project
from vertapp.annotations.store import (
    ConflictError,
    Journal,
    clear_recovery,
    has_recovery,
    load_project,
    new_project,
    recover,
    save_project,
)

__all__ = [
    "Change",
    "ConflictError",
    "GeometryError",
    "ImageRecord",
    "Instance",
    "Journal",
    "Project",
    "clean_polygon",
    "clean_polygons",
    "clear_recovery",
    "has_recovery",
    "load_project",
    "mask_to_polygons",
    "mask_to_rings",
    "new_project",
    "polygons_to_mask",
    "recover",
    "save_project",
]
