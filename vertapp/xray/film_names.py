"""What a command's outputs may call a film: its own file name, or `xray-<digest>.png`.

Films come out of a PACS named after the patient (DOE_JOHN.dcm), and `vertapp predict`
and `vertapp xray zoi` wrote that name into their COCO file and zois.json. The rule is
the CT import's (`vertapp.ctimport.case.needs_digest`): a DICOM file's name is never
written, nor a generic name ('image.png', 'xray.png') in a folder that is not a dataset's
pseudonym, which names the film there; any other image file's name is one the user gave
it, and is kept. A name not kept becomes `xray-<digest>.png`, from the file's real path:
the name the window gives the same film (`gui.document.files.add_record`: images/
xray-<12 hex digits>.png), so one film has one name in the window and on the command line.
"""

from __future__ import annotations

from pathlib import Path

from vertapp.io.dicom_headers import looks_like_dicom

# the window's rule, shared with the CT import (neutral_stem stays importable from here)
from vertapp.io.neutral_names import neutral_stem as neutral_stem

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# Names that say what the file is, not whose: the folder above then tells whose it is
# (with the CT import's GENERIC_STEMS: ct, image, img, volume, scan).
FILM_STEMS = ("xray", "x-ray", "x_ray", "film", "radiograph", "dx", "cr")


def name_shown(path: Path) -> bool:
    """Whether an output may carry the film's own file name (see the module)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".dcm" or suffix not in IMAGE_EXT or looks_like_dicom(path):
        return False
    # here, not at the top: ctimport.case pulls in the preprocessing (scipy) for a word list
    from vertapp.ctimport.case import GENERIC_STEMS, pseudonym_folder

    if path.stem.lower() not in (*GENERIC_STEMS, *FILM_STEMS):
        return True
    return pseudonym_folder(path.resolve().parent) is not None


def film_name(path: Path, keep_names: bool = False) -> str:
    """The film's name for an output: its own where it may be shown (or the user opted in
    with --keep-names), else `xray-<digest>.png`."""
    path = Path(path)
    return path.name if keep_names or name_shown(path) else f"{neutral_stem(path)}.png"
