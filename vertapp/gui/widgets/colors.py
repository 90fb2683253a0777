"""Display colours per label and per canal cluster (pure data, no widgets)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from vertapp.labels import PARTS, VERTEBRAE
from vertapp.xray.part_display import level_hue, part_pattern

# 17 distinguishable hues, neighbours in the spine far apart on the colour wheel so
# adjacent vertebrae never look alike.
_HUE_STEP = 7 / 17


def label_color(label: str | None) -> QColor:
    """A stable colour for a vertebra or part label (grey for unknown / unlabelled)."""
    names = VERTEBRAE + PARTS
    if label not in names:
        return QColor(200, 200, 200)
    i = names.index(label)
    hue = (i * _HUE_STEP) % 1.0
    return QColor.fromHsvF(hue, 0.85, 1.0)


def level_color(level: str | None) -> QColor:
    """A vertebra level's colour for all its parts on a radiograph (grey when unknown)."""
    hue = level_hue(level)
    return QColor(200, 200, 200) if hue is None else QColor.fromHsvF(hue, 0.85, 1.0)


_BRUSH_STYLES = {
    "solid": Qt.BrushStyle.SolidPattern,
    "vertical": Qt.BrushStyle.VerPattern,
    "horizontal": Qt.BrushStyle.HorPattern,
    "cross": Qt.BrushStyle.DiagCrossPattern,
    "diagonal": Qt.BrushStyle.BDiagPattern,
}


def part_brush_style(label: str | None) -> Qt.BrushStyle:
    """The fill of a part (vertapp.xray.part_display.PART_PATTERN); solid for the rest."""
    return _BRUSH_STYLES[part_pattern(label)]


SPINE_CLUSTER = QColor(0, 230, 120)
OTHER_CLUSTERS = (QColor(255, 170, 0), QColor(80, 160, 255), QColor(230, 80, 230))
NO_CIRCLE = QColor(255, 60, 60)
SLICE_LINE = QColor(255, 220, 0)
DRAFT = QColor(255, 255, 255)


def cluster_color(cluster: int, spine_cluster: int) -> QColor:
    if cluster == spine_cluster:
        return SPINE_CLUSTER
    return OTHER_CLUSTERS[int(cluster) % len(OTHER_CLUSTERS)]
