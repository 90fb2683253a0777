"""CT preprocessing of the CT paper: resample, HU window, canal, spine cluster, crop, MIP.

Public API (see docs/preprocess.md):
- PreprocessParams: parameters with anatomical defaults
- preprocess_job(volume, params=None) -> Job[MipResult]; preprocess(volume, params=None)
- MipResult: the MIP (float HU + uint8), circles, clusters, track, crop, MIP <-> LPS
  mapping, to_json()/from_json(), save(dir)/load(dir)
- project_labels(label_volume, source_volume, result) -> uint8 labels on the MIP grid
- partial_views(image, annotations, ...) / partial_views_by_length(image, pixel_mm, ...)
- render_overview(result) / write_overview(result, path): the overview picture
"""

from vertapp.preprocess.label_projection import project_labels
from vertapp.preprocess.overview import render_overview, write_overview
from vertapp.preprocess.params import PreprocessParams
from vertapp.preprocess.partial_views import PartialView, partial_views, partial_views_by_length
from vertapp.preprocess.pipeline import preprocess, preprocess_job
from vertapp.preprocess.result import MipResult

__all__ = [
    "MipResult",
    "PartialView",
    "PreprocessParams",
    "partial_views",
    "partial_views_by_length",
    "preprocess",
    "preprocess_job",
    "project_labels",
    "render_overview",
    "write_overview",
]
