"""Synthetic spine phantoms with exact ground truth (demo data and tests). No Qt.

- `make_ct_phantom`: thoracolumbar CT (LPS Volume), optionally from the neck (C1..C7 with
  VerSe ids), + vertebra/part labels + canal truth.
- `make_radiograph_pair`: lateral high-/low-dose radiographs with part masks and known
  per-vertebra motion.
- `Realism`, `realistic_options(seed)`: opt-in real-scan look (thin partial-volumed
  cortex, marrow streaks, kernels, 1-5 mm slices, degeneration, narrow crops);
  `neck_options(seed)`: the same for scans from the neck (C2-C4) down to T4-T10.
- `write_nifti`, `write_dicom_series`: writers for phantoms (and any Volume).
"""

from vertapp.synth.ct_phantom import CTPhantom, make_ct_phantom
from vertapp.synth.radiograph import PartMask, RadiographPair, VertebraMotion, make_radiograph_pair
from vertapp.synth.realism import Realism, neck_options, realistic_options
from vertapp.synth.writers import write_dicom_series, write_nifti

__all__ = [
    "CTPhantom",
    "PartMask",
    "RadiographPair",
    "Realism",
    "VertebraMotion",
    "make_ct_phantom",
    "make_radiograph_pair",
    "neck_options",
    "realistic_options",
    "write_dicom_series",
    "write_nifti",
]
