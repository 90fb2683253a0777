"""Show a vertebra of the review on the axial view: the slice through its outline's centre.

The same mapping as a click on the MIP (vertapp.gui.window.image_controller: the MIP
point -> its source slice, and the linked cursor on both views), so that selecting a row
of the review and clicking that vertebra on the MIP show the same slice. `show_outline`
(Alt+Down / Alt+Up) does that too, and first pans a zoomed-in MIP to the outline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRectF

from vertapp.gui.annotate import editing
from vertapp.review.focus import outline_centre


def show_on_axial(window: Any, instance_id: int) -> bool:
    """Move `window`'s axial view to the instance's slice; False when there is no CT
    behind the image (a radiograph, or its CT not read yet) or no outline."""
    doc = window.doc
    opened = doc.ct.get(doc.current_id) if doc.current_id is not None else None
    if opened is None or not doc.project.has_instance(instance_id):
        return False
    centre = outline_centre(doc.project.instance(instance_id))
    if centre is None:
        return False
    x, y = centre
    k = editing.slice_of_mip_point(opened.mip, opened.volume, x, y)
    if k is not None:
        window.axial.set_slice(k)
    window.axial.set_marker(editing.mip_point_lps(opened.mip, x, y))
    window.annot.set_marker((x, y))
    return k is not None


def show_outline(window: Any, instance_id: int) -> None:
    """An outline selected by key: in sight on the MIP (panned, the zoom kept) and its
    slice on the axial view, as a review row shows it. Alt+Down on a zoomed-in image
    selected an outline out of sight and left the axial view where it was."""
    doc = window.doc
    if not doc.project.has_instance(instance_id):
        return
    polygons = [p for p in doc.project.instance(instance_id).polygons if len(p)]
    if polygons:
        (x0, y0), (x1, y1) = (f(np.concatenate(polygons), axis=0) for f in (np.min, np.max))
        pan_into_view(window.annot.canvas.viewbox, QRectF(x0, y0, x1 - x0, y1 - y0))
    show_on_axial(window, instance_id)


def pan_into_view(viewbox: Any, rect: QRectF) -> bool:
    """Centre `rect` (view coordinates) in `viewbox` unless it is in sight whole already
    (then the view stays: a jump for every key would lose the user's place). The zoom
    stays. True when it panned."""
    seen = viewbox.viewRect()
    if seen.contains(rect):
        return False
    shift = rect.center() - seen.center()
    viewbox.translateBy(x=shift.x(), y=shift.y())
    return True
