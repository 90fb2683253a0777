"""Marks on the main image for predictions whose label the order post-processing changed.

The polygon layer already paints predicted instances as translucent masks with label and
score; this adds a warning tag ("⚠ was T7") beside each instance the engine relabelled so
the reviewer looks at it first. Text items, one per marked instance (a handful at most).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vertapp.annotations.model import ImageRecord
from vertapp.review import status as rv

TAG_COLOR = (255, 170, 0)


class OrderMarks:
    """Owns the warning tags drawn in one pyqtgraph ViewBox."""

    def __init__(self, viewbox: pg.ViewBox) -> None:
        self.viewbox = viewbox
        self.items: list[pg.TextItem] = []

    def show(self, img: ImageRecord | None, hidden: set[int] | None = None) -> None:
        """Tag the order-changed, still undecided predictions of `img` (except `hidden`)."""
        self.clear()
        if img is None:
            return
        hidden = hidden or set()
        for inst in img.instances:
            if not (inst.order_changed and rv.is_pending(inst)) or inst.id in hidden:
                continue
            pts = np.concatenate(inst.polygons)
            was = rv.app_field(inst, rv.ORIGINAL_LABEL_KEY)
            # short (the outline already shows the new label), on the side of the outline
            # with more of the image: a sagittal MIP is narrow and the tag was cut off
            text = f"⚠ was {was}" if was else "⚠ reordered"
            left, right = float(pts[:, 0].min()), float(pts[:, 0].max())
            on_right = img.width - right >= left
            item = pg.TextItem(
                text, color=TAG_COLOR, anchor=(0 if on_right else 1, 0.5), fill=(0, 0, 0, 160)
            )
            item.setPos(right + 2 if on_right else left - 2, float(pts[:, 1].mean()))
            item.setZValue(20)
            self.viewbox.addItem(item, ignoreBounds=True)
            self.items.append(item)

    def clear(self) -> None:
        for item in self.items:
            self.viewbox.removeItem(item)
        self.items.clear()

    def texts(self) -> list[str]:
        return [item.textItem.toPlainText() for item in self.items]
