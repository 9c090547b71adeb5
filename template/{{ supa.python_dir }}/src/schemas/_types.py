"""Shared Pydantic helpers for the generated schemas."""

from typing import Any


def as_float_list(value: Any) -> Any:
    """pgvector returns numpy arrays (or lists); schemas hold plain lists of floats."""
    if value is None or isinstance(value, list):
        return value
    if hasattr(value, "to_list"):
        return value.to_list()
    if hasattr(value, "tolist"):
        return value.tolist()
    return list(value)
