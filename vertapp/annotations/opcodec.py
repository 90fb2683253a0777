"""Operations <-> JSON, for the autosave journal (one operation per line)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from vertapp.annotations import ops
from vertapp.annotations.model import Instance
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


def _dec(value: Any, *, in_instance: bool = False) -> Any:
    if isinstance(value, dict):
        if "__op__" in value:
            return decode_op(value)
        if "__nd__" in value:
            return np.asarray(value["__nd__"], dtype=np.float64).reshape(value["shape"])
        if "__instance__" in value:
            f = {k: _dec(v, in_instance=True) for k, v in value["__instance__"].items()}
            return Instance(**f)
        return {k: _dec(v, in_instance=in_instance) for k, v in value.items()}
    if isinstance(value, list):
        items = [_dec(v, in_instance=in_instance) for v in value]
        return items if in_instance else tuple(items)  # op fields are tuples
    return value


def decode_op(data: Any) -> ops.Operation:
    try:
        cls = OP_TYPES[data["__op__"]]
        fields = {k: _dec(v) for k, v in data["fields"].items()}
        return cls(**fields)
    except (KeyError, TypeError, ValueError) as err:
        raise FormatError(f"journal entry is not a known operation ({err})") from None
