"""Operations <-> JSON, for the autosave journal (one operation per line).

Decoding reads a file that a crash may have cut or a person may have edited, so it
trusts nothing: every field is checked against the type its operation declares,
with the project loader's own checks (validate.py: integers, finite numbers, rings
of at least 3 sane vertices, known sources). An entry that decodes can be applied
without crashing and saved into a project.json the loader accepts; anything else
is a FormatError naming the operation and the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from vertapp.annotations import ops
from vertapp.annotations.coco import ANN_KEYS
from vertapp.annotations.model import SOURCES, Instance
from vertapp.annotations.validate import (
    Where,
    check_coordinates,
    need_dict,
    need_int,
    need_list,
    need_number,
    need_str,
    opt_str,
    points_array,
)
from vertapp.errors import FormatError

OP_TYPES: dict[str, type[ops.Operation]] = {
    cls.__name__: cls
    for cls in (
        ops.AddInstance,
        ops.DeleteInstance,
        ops.RejectPrediction,
        ops.SetInstanceFields,
        ops.Relabel,
        ops.SetReviewed,
        ops.AcceptPrediction,
        ops.MoveVertex,
        ops.InsertVertex,
        ops.DeleteVertex,
        ops.ReplacePolygons,
        ops.MovePolygon,
        ops.SetImageStatus,
        ops.FlagInstance,
        ops.Macro,
    )
}


def _enc(value: Any) -> Any:
    if isinstance(value, ops.Operation):
        return encode_op(value)
    if isinstance(value, np.ndarray):
        return {"__nd__": value.ravel().tolist(), "shape": list(value.shape)}
    if isinstance(value, Instance):
        fields = {f.name: _enc(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__instance__": fields}
    if isinstance(value, (list, tuple)):
        return [_enc(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def encode_op(op: ops.Operation) -> dict[str, Any]:
    name = type(op).__name__
    if name not in OP_TYPES:
        raise TypeError(f"operation {name} cannot be journalled")
    fields = {f.name: _enc(getattr(op, f.name)) for f in dataclasses.fields(op)}  # type: ignore[arg-type]
    return {"__op__": name, "fields": fields}


# =================================================================== decoding

# A field checker: (JSON value, where, field name) -> the value the dataclass holds.
Checker = Callable[[Any, Where, str], Any]


def decode_op(data: Any, where: Where | None = None) -> ops.Operation:
    """The operation a journal entry holds; FormatError saying what is wrong with it."""
    try:
        return _decode_op(data, where)
    except FormatError:
        raise
    except Exception as err:  # file content: any failure means a bad entry
        # The checks should leave nothing to fail here; should one be missed, the entry
        # is still refused in words instead of crashing the recovery that reads it.
        raise FormatError(f"not a valid operation ({type(err).__name__}: {err})") from None


def _decode_op(data: Any, where: Where | None) -> ops.Operation:
    data = need_dict(data, where or Where("journal entry"))
    name = data.get("__op__")
    cls = OP_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise (where or Where("journal entry")).error(f"{name!r:.40} is not a known operation")
    here = where or Where(name)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    raw = need_dict(data.get("fields"), here.sub("fields"))
    return cls(**_checked(raw, fields, here, lambda f: _OP_FIELD_CHECKS[str(f.type)]))


def _checked(
    raw: dict[str, Any],
    fields: tuple[dataclasses.Field[Any], ...],
    where: Where,
    checker: Callable[[dataclasses.Field[Any]], Checker],
) -> dict[str, Any]:
    """`raw`'s values checked and converted, field by field; none unknown, none missing."""
    declared = {f.name: f for f in fields}
    unknown = [k for k in raw if k not in declared]
    if unknown:
        raise where.error(f"unknown field {unknown[0]!r:.40}")
    for f in fields:
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default and f.name not in raw:
            raise where.error(f"field {f.name!r} is missing")
    return {k: checker(declared[k])(v, where, k) for k, v in raw.items()}


def _opt_int(value: Any, where: Where, name: str) -> int | None:
    return None if value is None else need_int(value, where, name)


def _bool(value: Any, where: Where, name: str) -> bool:
    if not isinstance(value, bool):
        raise where.error(f"{name!r} must be true or false, got {value!r:.40}")
    return value


def _str(value: Any, where: Where, name: str) -> str:
    """Any text (an undo step's may be empty); labels and statuses are checked on apply."""
    if not isinstance(value, str) or len(value) > 4096:
        raise where.error(f"{name!r} must be a string, got {value!r:.40}")
    return value


def _opt_number(value: Any, where: Where, name: str) -> float | None:
    return None if value is None else need_number(value, where, name)


def _coordinate(value: Any, where: Where, name: str) -> float:
    """A shift (dx, dy): finite, and no larger than the loader allows any coordinate."""
    x = need_number(value, where, name)
    check_coordinates(np.array([x]), where.sub(name))
    return x


def _point(value: Any, where: Where, name: str) -> tuple[float, float]:
    xy = need_list(value, where.sub(name))
    if len(xy) != 2:
        raise where.error(f"{name!r} must be [x, y], got {len(xy)} numbers")
    x, y = (need_number(v, where, name) for v in xy)
    check_coordinates(np.array([x, y]), where.sub(name))
    return x, y


def _ring(value: Any, where: Where) -> np.ndarray:
    """An (N, 2) ring as the journal writes it, checked as project.json's polygons are."""
    value = need_dict(value, where)
    ring = points_array(value.get("__nd__"), where, flat=True)
    if value.get("shape") != [len(ring), 2]:
        raise where.error(f"ring shape {value.get('shape')!r:.40} does not match its points")
    return ring


def _ring_list(value: Any, where: Where, name: str) -> list[np.ndarray]:
    return [_ring(v, where.sub(name, i)) for i, v in enumerate(need_list(value, where.sub(name)))]


def _polygons(value: Any, where: Where, name: str) -> list[np.ndarray]:
    rings = _ring_list(value, where, name)
    if not rings:  # the loader refuses an instance without a polygon
        raise where.error(f"{name!r} holds no polygon")
    return rings


def _ring_tuple(value: Any, where: Where, name: str) -> tuple[np.ndarray, ...]:
    return tuple(_ring_list(value, where, name))


def _source(value: Any, where: Where, name: str) -> str:
    if value not in SOURCES:
        raise where.error(f"{name!r} must be one of {SOURCES}, got {value!r:.40}")
    return str(value)


def _extra(value: Any, where: Where, name: str) -> dict[str, Any]:
    """Unknown COCO keys kept with an instance: plain JSON, saved back into its record
    (so none may stand for a key the record is built from)."""
    extra = need_dict(value, where.sub(name))
    clash = [k for k in extra if k in ANN_KEYS and k not in ("iscrowd", "vertapp")]
    if clash:
        raise where.error(f"{name!r} holds the annotation key {clash[0]!r}")
    need_dict(extra.get("vertapp", {}), where.sub(name).sub("vertapp"))
    if "iscrowd" in extra:
        need_int(extra["iscrowd"], where.sub(name), "iscrowd", lo=0, hi=1)
    return dict(extra)


# Instance fields by name: `source` has its own check, so the type alone is not enough.
_INSTANCE_FIELD_CHECKS: dict[str, Checker] = {
    "id": need_int,
    "label": need_str,  # the project's label set is checked on replay (store.recover_edits)
    "polygons": _polygons,
    "holes": _ring_list,
    "source": _source,
    "score": _opt_number,
    "model_id": opt_str,
    "reviewed": _bool,
    "order_changed": _bool,
    "extra": _extra,
}


def _instance(value: Any, where: Where, name: str) -> Instance:
    here = where.sub(name)
    raw = need_dict(need_dict(value, here).get("__instance__"), here)
    fields = dataclasses.fields(Instance)
    return Instance(**_checked(raw, fields, here, lambda f: _INSTANCE_FIELD_CHECKS[f.name]))


def _changes(value: Any, where: Where, name: str) -> tuple[tuple[str, Any], ...]:
    """SetInstanceFields' (field, value) pairs, each value checked as that instance field."""
    pairs = []
    for i, pair in enumerate(need_list(value, where.sub(name))):
        here = where.sub(name, i)
        if not isinstance(pair, list) or len(pair) != 2:
            raise here.error("expected a [field, value] pair")
        field, raw = pair
        if field not in ops.SetInstanceFields.FIELDS:
            raise here.error(f"cannot set instance field {field!r:.40}")
        pairs.append((field, _INSTANCE_FIELD_CHECKS[field](raw, here, field)))
    return tuple(pairs)


def _ops(value: Any, where: Where, name: str) -> tuple[ops.Operation, ...]:
    items = need_list(value, where.sub(name))
    return tuple(
        _decode_op(v, where.sub(name, i, op=v.get("__op__") if isinstance(v, dict) else None))
        for i, v in enumerate(items)
    )


# Operation fields by their declared type (a test checks that every one is covered).
_OP_FIELD_CHECKS: dict[str, Checker] = {
    "int": need_int,
    "int | None": _opt_int,
    "bool": _bool,
    "str": _str,
    "float": _coordinate,  # dx, dy of MovePolygon
    "tuple[float, float]": _point,
    "Instance": _instance,
    "tuple[np.ndarray, ...]": _ring_tuple,
    "tuple[tuple[str, Any], ...]": _changes,
    "tuple[Operation, ...]": _ops,
}
