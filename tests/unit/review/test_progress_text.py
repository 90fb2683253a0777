"""Training progress and errors in words (no Qt)."""

from __future__ import annotations

from vertapp.jobs import Progress
from vertapp.review.progress_text import describe_progress, format_duration, friendly_error


def test_text_helpers() -> None:
    assert format_duration(3725) == "1 h 02 min"
    assert format_duration(65) == "1 min 05 s"
    assert "GPU ran out of memory" in friendly_error(
        "Unexpected error: OutOfMemoryError: CUDA out of memory. Tried"
    )
    # a child process that died on a CPU-only machine is not blamed on a GPU
    died = "the background process stopped unexpectedly (exit code 1); the system may have"
    text = friendly_error(died + " run out of memory")
    assert "GPU" not in text and text.startswith(died) and "lower the batch size" in text
    text = describe_progress(
        Progress(
            "train",
            0.5,
            data={"epoch": 2, "iteration": 7, "losses": {"a": 1.0, "b": 0.5}, "eta_s": 90},
        )
    )
    assert text == "epoch 2 · iteration 7 · loss 1.500 · about 1 min 30 s left"
