"""Annotated types shared by the generated schemas (PascalCase, so they never
clash with a snake_case field name)."""

import decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def as_float_list(value: Any) -> Any:
    """pgvector returns numpy arrays (or lists); schemas hold plain lists of floats."""
    if value is None or isinstance(value, list):
        return value
    if hasattr(value, "to_list"):
        return value.to_list()
    if hasattr(value, "tolist"):
        return value.tolist()
    return list(value)


def VarChar(length: int) -> Any:  # noqa: N802
    """varchar(length)."""
    return Annotated[str, Field(max_length=length)]


def Numeric(precision: int, scale: int) -> Any:  # noqa: N802
    """numeric(precision, scale)."""
    return Annotated[decimal.Decimal, Field(max_digits=precision, decimal_places=scale)]


def FloatVector(dimensions: int) -> Any:  # noqa: N802
    """pgvector's vector(dimensions)."""
    return Annotated[
        list[float],
        BeforeValidator(as_float_list),
        Field(min_length=dimensions, max_length=dimensions),
    ]
