"""Run inside a generated Python workspace: what the Pydantic schemas of every table do.

Usage: python python_schemas.py   (cwd = the workspace; no database needed)

For each table's Create, Update and Read schemas: values given by attribute
name or by column name are all kept; unknown keys are refused; a Create that
leaves its defaulted columns unset dumps none of them, and never None for a
NOT NULL column; an Update dumps exactly the fields it was given, every field
optional. Prints one line per table; fails loudly on the first difference.
"""

from __future__ import annotations

import importlib
import os
import sys
import uuid

import pydantic
import sqlalchemy as sa

sys.path.insert(0, os.path.join(os.getcwd(), "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import db.models as models  # noqa: E402
from python_roundtrip import sample  # noqa: E402


def value_for(col: sa.Column) -> object:
    """A valid value for ``col``; foreign keys get a fresh id (nothing is inserted)."""
    value = sample(col, {})
    return uuid.uuid4() if value is None and col.foreign_keys else value


def refused(schema: type[pydantic.BaseModel], data: dict[str, object]) -> bool:
    try:
        schema.model_validate(data)
    except pydantic.ValidationError:
        return True
    return False


def check(table: sa.Table, cls: type, schemas: object) -> str:
    create = getattr(schemas, f"{cls.__name__}Create")
    update = getattr(schemas, f"{cls.__name__}Update")
    read = getattr(schemas, f"{cls.__name__}Read")
    attr_of = {col.name: cls.__mapper__.get_property_by_column(col).key for col in table.columns}
    col_of = {attr: name for name, attr in attr_of.items()}
    writable = [col for col in table.columns if attr_of[col.name] in create.model_fields]
    assert set(update.model_fields) == {attr_of[c.name] for c in writable}, table.name
    assert set(read.model_fields) == set(attr_of.values()), table.name
    by_attr = {attr_of[c.name]: value_for(c) for c in writable}
    by_column = {col_of[a]: v for a, v in by_attr.items()}

    # Create: every value kept, whichever name it came by; unknown keys refused.
    for data in (by_attr, by_column):
        dumped = create.model_validate(data).model_dump(exclude_unset=True)
        assert dumped == by_attr, f"{table.name} Create {sorted(data)}: {dumped} != {by_attr}"
    aliased = create.model_validate(by_attr).model_dump(exclude_unset=True, by_alias=True)
    assert aliased == by_column, f"{table.name}: by_alias dumps column names"
    assert refused(create, {**by_attr, "not_a_column": 1}), f"{table.name} Create took junk"

    # Create: columns with a database default left unset are not dumped, and a
    # NOT NULL column is never dumped as None, even without exclude_unset.
    required = {a: v for a, v in by_attr.items() if create.model_fields[a].is_required()}
    expected = {
        attr_of[c.name]
        for c in writable
        if c.server_default is None and not c.nullable and not c.primary_key
    }
    assert set(required) >= expected, f"{table.name}: required {sorted(required)}"
    minimal = create.model_validate(required)
    assert minimal.model_dump(exclude_unset=True) == required, table.name
    for col in writable:
        attr = attr_of[col.name]
        if col.server_default is not None:
            assert not create.model_fields[attr].is_required(), f"{table.name}.{attr}"
        if not col.nullable:
            plain = minimal.model_dump()
            assert plain.get(attr, "absent") is not None, f"{table.name}.{attr} dumped None"
            explicit = (
                create.model_validate({**required, attr: None}) if attr not in required else None
            )
            if explicit is not None:
                assert attr not in explicit.model_dump(), f"{table.name}.{attr}: None dumped"

    # Update: every field optional, only the fields given are dumped.
    assert update().model_dump(exclude_unset=True) == {}, table.name
    assert not any(f.is_required() for f in update.model_fields.values()), table.name
    for attr, value in by_attr.items():
        for data in ({attr: value}, {col_of[attr]: value}):
            dumped = update.model_validate(data).model_dump(exclude_unset=True)
            assert dumped == {attr: value}, f"{table.name} Update {data}: {dumped}"
        nulled = update.model_validate({col_of[attr]: None}).model_dump(exclude_unset=True)
        nullable = table.columns[col_of[attr]].nullable
        assert nulled == ({attr: None} if nullable else {}), f"{table.name}.{attr}: {nulled}"
    assert refused(update, {"not_a_column": 1}), f"{table.name} Update took junk"
    everything = update.model_validate(by_column).model_dump(exclude_unset=True, by_alias=True)
    assert everything == by_column, table.name

    # Read: a row keyed by column names keeps every value too.
    row = {c.name: value_for(c) for c in table.columns}
    got = read.model_validate(row).model_dump(by_alias=True)
    assert got == row, f"{table.name} Read: {got} != {row}"
    renamed = sorted(c for a, c in col_of.items() if a != c)
    return f"schemas {table.name}: {len(writable)} writable fields, renamed {renamed}"


def main() -> None:
    schemas = importlib.import_module("schemas")
    mappers = {m.local_table.name: m.class_ for m in models.Base.registry.mappers}
    for table in models.Base.metadata.sorted_tables:
        if table.schema == "auth":
            continue
        print(check(table, mappers[table.name], schemas))


if __name__ == "__main__":
    main()
