"""A form that edits a flat dict of training settings, one widget per value type.

The engine owns the list of settings (its TrainConfig); the form is built from the
values a preset gives, so a setting the engine adds later appears without GUI changes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

# Settings shown elsewhere in the dialog (their own widgets), not in the generic form.
HANDLED_ELSEWHERE = frozenset(
    {"arch", "backbone", "device", "weights", "weights_path", "pretrained", "preset", "name"}
)


class SettingsForm(QWidget):
    """Edits `{name: int | float | bool | str | tuple}`; `values()` reads them back typed.

    `skip`: names not edited here at all; `outside`: names whose widget the form makes
    and reads but the caller places (a setting shown in words elsewhere); `words`:
    name -> (label, explanation) for the rows and their tooltips.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        skip: Collection[str] = (),
        outside: Collection[str] = (),
        words: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._widgets: dict[str, QWidget] = {}
        self._types: dict[str, type] = {}
        self._tips: dict[str, str] = {}  # each row's own tooltip, shown again when editable
        self._skip = HANDLED_ELSEWHERE | frozenset(skip)
        self._outside = frozenset(outside)
        self._words = words or {}

    def set_values(self, values: dict[str, Any]) -> None:
        """Show `values`; rebuilds the form when the set of names changes."""
        shown = {k: v for k, v in values.items() if k not in self._skip and _editable(v)}
        if set(shown) != set(self._widgets):
            self._rebuild(shown)
        for name, value in shown.items():
            _set_widget(self._widgets[name], value)

    def values(self) -> dict[str, Any]:
        return {name: _read_widget(w, self._types[name]) for name, w in self._widgets.items()}

    def widget(self, name: str) -> QWidget:
        return self._widgets[name]

    def hold(self, names: Collection[str], why: str) -> None:
        """Grey out the rows `names` (field and label), `why` as their tooltip; the other
        rows editable again, with their own tooltips. Widgets the caller places (`outside`)
        are left to it."""
        for name, w in self._widgets.items():
            if name in self._outside:
                continue
            held = name in names
            tip = why if held else self._tips.get(name, "")
            w.setEnabled(not held)
            w.setToolTip(tip)
            label = self._layout.labelForField(w)
            if label is not None:
                label.setEnabled(not held)
                label.setToolTip(tip)

    def held(self) -> list[str]:
        """The rows greyed out by `hold`."""
        return [n for n, w in self._widgets.items() if n not in self._outside and not w.isEnabled()]

    def _rebuild(self, values: dict[str, Any]) -> None:
        while self._layout.rowCount():
            self._layout.removeRow(0)
        kept = {n: w for n, w in self._widgets.items() if n in self._outside}  # placed by caller
        self._widgets = dict(kept)
        self._types = {n: t for n, t in self._types.items() if n in kept}
        for name, value in values.items():
            if name in kept:
                continue
            w = _make_widget(value)
            w.setObjectName(f"setting_{name}")
            self._widgets[name] = w
            self._types[name] = type(value)
            if name in self._outside:
                continue
            label, tip = self._words.get(name, (name.replace("_", " "), ""))
            w.setToolTip(f"{tip} (engine setting '{name}')" if tip else f"engine setting '{name}'")
            self._tips[name] = w.toolTip()
            self._layout.addRow(label, w)
            self._layout.labelForField(w).setToolTip(w.toolTip())


def _editable(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    return isinstance(value, tuple | list) and all(isinstance(v, int | float) for v in value)


def _make_widget(value: Any) -> QWidget:
    if isinstance(value, bool):
        return QCheckBox()
    if isinstance(value, int):
        spin = QSpinBox()
        spin.setRange(0, 10_000_000)
        return spin
    if isinstance(value, float):
        dspin = QDoubleSpinBox()
        dspin.setDecimals(6)
        dspin.setRange(-1e9, 1e9)
        dspin.setSingleStep(abs(value) / 10 if value else 0.1)
        return dspin
    edit = QLineEdit()
    if value is None:
        edit.setPlaceholderText("automatic")
    return edit


def _set_widget(widget: QWidget, value: Any) -> None:
    if isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QLineEdit) and value is None:
        widget.setText("")
    elif isinstance(widget, QLineEdit):
        text = ", ".join(str(v) for v in value) if isinstance(value, tuple | list) else str(value)
        widget.setText(text)


def _read_widget(widget: QWidget, kind: type) -> Any:
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDoubleSpinBox):
        return widget.value()
    text = widget.text().strip() if isinstance(widget, QLineEdit) else ""
    if kind is type(None):  # optional number or switch: empty means "automatic"
        return _optional(text) if text else None
    if kind in (tuple, list):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        nums = [_number(p) for p in parts]
        return tuple(nums) if kind is tuple else nums
    return text


def _optional(text: str) -> bool | int | float:
    """An optional setting's text: a switch ("True"/"False", as a checkpoint's frozen_bn
    is shown) or a number."""
    switch = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
    return switch[text.lower()] if text.lower() in switch else _number(text)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)
