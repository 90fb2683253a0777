"""Neutral names for inputs whose own names may not be shown: '<kind>-<12 hex digits>'.

Files are often named after the patient (DOE_JOHN.nii.gz, DOE_JOHN/ct.nii.gz). Where a
name may not be shown, the window (File > Open, File > Import labelled CT… with names
hidden) and the command line (`vertapp.xray.film_names`) all name the input by a digest
of its real path: one input gets one name everywhere, and the same name again.
Here, at the bottom of the layers, so the CT import and the X-ray code share one rule.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DIGEST_CHARS = 12


def neutral_stem(path: Path, kind: str = "xray") -> str:
    """'xray-1a2b3c4d5e6f': names the file without any word of its path (the same file
    gets the same name again). `kind`: 'ct' for a CT or its MIP image."""
    real = os.path.realpath(path).encode("utf-8", "surrogatepass")
    return f"{kind}-{hashlib.sha256(real).hexdigest()[:DIGEST_CHARS]}"


def neutral_key(words: str, kind: str = "patient") -> str:
    """'patient-1a2b3c4d5e6f': a digest of `words` (a dataset's subject), for a key that
    must group inputs together without showing what they were called."""
    digest = hashlib.sha256(words.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}-{digest[:DIGEST_CHARS]}"
