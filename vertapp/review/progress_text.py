"""Training progress and errors as the sentences the user reads (no Qt)."""

from __future__ import annotations

from vertapp.jobs import Progress


def describe_progress(event: Progress) -> str:
    """One line: epoch, iteration, loss, speed and remaining time."""
    d = event.data
    parts: list[str] = []
    if "epoch" in d:
        parts.append(f"epoch {d['epoch']}")
    if "iteration" in d:
        parts.append(f"iteration {d['iteration']}")
    losses = d.get("losses") or {}
    total = losses.get("loss", losses.get("total"))
    if total is None and losses:
        total = sum(float(v) for v in losses.values())
    if total is not None:
        parts.append(f"loss {float(total):.3f}")
    if d.get("val_mean_dice") is not None:
        parts.append(f"val Dice {float(d['val_mean_dice']):.3f}")
    if d.get("images_per_s"):
        parts.append(f"{float(d['images_per_s']):.1f} img/s")
    if d.get("eta_s") is not None:
        parts.append(f"about {format_duration(float(d['eta_s']))} left")
    return " · ".join(parts) or (event.message or event.stage)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


def friendly_error(message: str) -> str:
    """A sentence for the user; engine errors are already sentences, a few bugs are not."""
    low = message.lower()
    if "out of memory" in low and ("cuda" in low or "gpu" in low):
        return (
            "The GPU ran out of memory. Lower the batch size or the image size "
            "(min size / max size), or train on the CPU."
        )
    if "out of memory" in low:  # the child process died: the memory is a guess, say so
        return (
            f"{message.splitlines()[0]}. If memory was short, lower the batch size or the "
            "image size (min size / max size), or close other programs."
        )
    return message.splitlines()[0] if message else "Training failed."
