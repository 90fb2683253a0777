"""`vertapp info INPUT [--json]`: what the readers make of a volume or radiograph.

Prints the modality, size, spacing, orientation (as stored and after the
reorientation to LPS), value range, number of series found, every warning the
reader raised and its notes (information only). Never prints patient identifiers, nor the folder path.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vertapp.io import LoadReport, Radiograph, Volume, load_any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT", help="volume file, DICOM folder or radiograph")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    report = load_any(Path(args.input), require_ct=False)
    facts = describe(report, Path(args.input).name)
    print(json.dumps(facts, indent=2) if args.json else format_text(facts))
    return 0


def describe(report: LoadReport, name: str) -> dict[str, Any]:
    """The facts `info` prints, as JSON-ready values."""
    image = report.image
    facts: dict[str, Any] = {"input": name, "format": report.format}
    if isinstance(image, Volume):
        facts.update(_volume_facts(image, report))
    else:
        facts.update(_radiograph_facts(image))
    facts["series_found"] = report.series_found
    facts["warnings"] = list(image.warnings)
    facts["notes"] = list(image.notes)
    return facts


def _volume_facts(volume: Volume, report: LoadReport) -> dict[str, Any]:
    x, y, z = volume.shape[::-1]
    return {
        "kind": "volume",
        "modality": volume.modality,
        "series_description": volume.series_description,
        "shape_xyz": [x, y, z],
        "spacing_mm_xyz": [round(s, 4) for s in volume.spacing],
        "orientation_stored": report.stored_orientation,
        "orientation": volume.orientation_code,
        "value_min": int(volume.array.min()),
        "value_max": int(volume.array.max()),
        "value_unit": "HU" if volume.modality == "CT" else "stored value",
        "other_series": list(volume.other_series),
    }


def _radiograph_facts(radiograph: Radiograph) -> dict[str, Any]:
    rows, cols = radiograph.shape
    spacing = radiograph.pixel_spacing
    return {
        "kind": "radiograph",
        "modality": radiograph.modality,
        "shape_rows_cols": [rows, cols],
        "pixel_spacing_mm": None if spacing is None else [round(s, 4) for s in spacing],
        "bits_stored": radiograph.bits_stored,
        "value_min": float(radiograph.array.min()),
        "value_max": float(radiograph.array.max()),
    }


def format_text(facts: dict[str, Any]) -> str:
    lines = [f"input:        {facts['input']} ({facts['format']}, {facts['kind']})"]
    lines.append(f"modality:     {facts['modality']}")
    if facts["kind"] == "volume":
        lines += _volume_lines(facts)
    else:
        lines += _radiograph_lines(facts)
    lines.append(f"series found: {facts['series_found']}")
    lines += [f"  other:      {s}" for s in facts.get("other_series", [])]
    lines.append(f"warnings:     {len(facts['warnings']) or 'none'}")
    lines += [f"  - {w}" for w in facts["warnings"]]
    lines += [f"note:         {n}" for n in facts["notes"]]
    return "\n".join(lines)


def _volume_lines(facts: dict[str, Any]) -> list[str]:
    x, y, z = facts["shape_xyz"]
    sx, sy, sz = facts["spacing_mm_xyz"]
    out = []
    if facts["series_description"]:
        out.append(f"series:       {facts['series_description']}")
    out += [
        f"shape:        {x} x {y} x {z} voxels (x, y, z)",
        f"spacing:      {sx:g} x {sy:g} x {sz:g} mm",
        f"orientation:  {facts['orientation_stored']} as stored, {facts['orientation']} as loaded",
        f"value range:  {facts['value_min']} .. {facts['value_max']} {facts['value_unit']}",
    ]
    return out


def _radiograph_lines(facts: dict[str, Any]) -> list[str]:
    rows, cols = facts["shape_rows_cols"]
    spacing = facts["pixel_spacing_mm"]
    shown = "unknown" if spacing is None else f"{spacing[0]:g} x {spacing[1]:g} mm (row, col)"
    return [
        f"shape:        {rows} rows x {cols} columns, {facts['bits_stored']} bits",
        f"pixel size:   {shown}",
        f"value range:  {facts['value_min']:g} .. {facts['value_max']:g} (bone bright)",
    ]
