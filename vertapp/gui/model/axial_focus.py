"""Show a vertebra of the review on the axial view: the slice through its outline's centre.

The same mapping as a click on the MIP (vertapp.gui.window.image_controller: the MIP
point -> its source slice, and the linked cursor on both views), so that selecting a row
of the review and clicking that vertebra on the MIP show the same slice.
"""

from __future__ import annotations

from typing import Any

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
