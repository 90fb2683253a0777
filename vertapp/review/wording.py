"""Counts and model ids as a clinician reads them (no Qt).

"vertebra(e)" and "starter-ct@e4:6cb7ed68af" were the panel's words; the exact model id
stays available (tooltips, the saved COCO) for an audit.
"""

from __future__ import annotations

import re

# The stem of the starter model VertApp ships (vertapp.ml.starter.RESOURCE); kept here
# as text because importing the ml package only to name a file is not worth its cost.
STARTER_STEM = "starter-ct"
IRREGULAR = {"vertebra": "vertebrae"}
# "<stem>@e<epoch>[of<trained>][:<digest>]", as vertapp.review.prediction.model_id_of writes it
MODEL_ID = re.compile(r"^(?P<stem>.*)@e(?P<epoch>\d+)(?:of(?P<of>\d+))?(?::[0-9a-f]+)?$")


def count(n: int, words: str) -> str:
    """'1 vertebra', '9 vertebrae', '2 predicted vertebrae', '3 images': the last word
    takes the plural."""
    if n == 1:
        return f"{n} {words}"
    head, _, last = words.rpartition(" ")
    plural = IRREGULAR.get(last, last + "s")
    return f"{n} {head} {plural}" if head else f"{n} {plural}"


def model_words(model_id: str, name: str | None = None) -> str:
    """'the starter model (epoch 4)' for 'starter-ct@e4:6cb7ed68af'; 'model.pt (epoch 1
    of 3)' for 'model@e1of3:…'. `name`: what the window calls the model ("this project's
    model"), in place of its file name. An id of another form is returned as it is."""
    match = MODEL_ID.match(model_id)
    if match is None:
        return name or model_id
    stem = match["stem"]
    who = name or ("the starter model" if stem == STARTER_STEM else f"{stem}.pt")
    epoch = f"epoch {match['epoch']}" + (f" of {match['of']}" if match["of"] else "")
    return f"{who} ({epoch})"
