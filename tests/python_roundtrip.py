"""Run inside a generated Python workspace: insert a row of every table and read it back.

Usage: DATABASE_URL=... python python_roundtrip.py   (cwd = the workspace, src on sys.path)

Every value goes in through the table's Pydantic Create model (validated from
column names, dumped with ``exclude_unset=True``) and SQLAlchemy, and comes
back through SQLAlchemy into the Pydantic Read model; a Create of the required
columns only is inserted too (the database fills in every default), and an
Update that sets the nullable columns to None is applied. The script fails
loudly when anything differs, and on any SQLAlchemy warning (such as two
relationships that would both write org_id). Prints one line per table.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import os
import sys
import uuid
import warnings

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

sys.path.insert(0, os.path.join(os.getcwd(), "src"))
warnings.simplefilter("error", sa.exc.SAWarning)

import db.models as models  # noqa: E402

sa.orm.configure_mappers()  # relationship conflicts warn here (now: raise)

AWKWARD = 'it\'s "quoted" \\ $$ :name %s'
USER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def sample(col: sa.Column, inserted: dict[str, object]):
    """A value for ``col`` chosen from its SQLAlchemy type (None when it cannot have one yet)."""
    fks = sorted(col.foreign_keys, key=lambda fk: fk.target_fullname)
    if fks:
        # A column of several keys (org_id in organization-scoped keys) holds
        # the same organization's id in each: the rows inserted so far share it.
        target = fks[0].column
        if target.table.schema == "auth":
            return USER_ID
        row = inserted.get(target.table.name)
        if row is None:
            return None
        return getattr(row, sa.inspect(row).mapper.get_property_by_column(target).key)
    t = col.type
    if isinstance(t, pg.ARRAY):
        inner = sa.Column("x", t.item_type)
        return [sample(inner, inserted)]
    name = type(t).__name__
    if name.upper() == "VECTOR":
        return [0.5] * t.dim
    if isinstance(t, sa.Enum):
        return list(t.enum_class)[-1] if t.enum_class else t.enums[-1]
    if isinstance(t, sa.Uuid):
        return uuid.UUID("11111111-2222-4333-8444-555555555555")
    if isinstance(t, sa.Boolean):
        return True
    if isinstance(t, sa.DateTime):
        return datetime.datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=datetime.timezone.utc)
    if isinstance(t, sa.Date):
        return datetime.date(2024, 2, 29)
    if isinstance(t, sa.Time):
        return datetime.time(23, 59, 58)
    if isinstance(t, pg.JSONB):
        return {"k": [1, "two", None], "quote": AWKWARD}
    if isinstance(t, sa.LargeBinary):
        return b"\x00\x01binary\xff"
    if isinstance(t, sa.Float):
        return 1.5
    if isinstance(t, sa.Numeric):
        scale = t.scale or 0
        return (
            decimal.Decimal("12.5").quantize(decimal.Decimal(1).scaleb(-scale))
            if scale
            else decimal.Decimal(12)
        )
    if isinstance(t, sa.SmallInteger):
        return 7
    if isinstance(t, sa.BigInteger):
        return 2**40
    if isinstance(t, sa.Integer):
        return 42
    if isinstance(t, sa.String):
        if t.length:
            return AWKWARD[: t.length]
        return AWKWARD
    raise AssertionError(f"no sample for {col.table.name}.{col.name}: {t!r}")


def normalise(value):
    if hasattr(value, "to_list"):
        return value.to_list()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def insert_required_only(engine, table, cls, schema, data) -> None:
    """Insert a Create holding only its required fields, dumped the recommended
    way; every column with a database default must come back filled in. Rolled
    back, so unique keys stay free for the full row."""
    # auth.uid() is NULL outside a signed-in user's transaction: give those too.
    by_user = {
        cls.__mapper__.get_property_by_column(col).key
        for col in table.columns
        if col.server_default is not None and "auth.uid()" in str(col.server_default.arg)
    }
    required = {
        a: v for a, v in data.items() if schema.model_fields[a].is_required() or a in by_user
    }
    values = schema.model_validate(required).model_dump(exclude_unset=True)
    with Session(engine) as session:
        obj = cls(**values)
        session.add(obj)
        session.flush()
        for col in table.columns:
            attr = cls.__mapper__.get_property_by_column(col).key
            if col.server_default is not None:
                session.refresh(obj, [attr])
                if getattr(obj, attr) is None:
                    raise AssertionError(f"{table.name}.{col.name}: default not applied")
        session.rollback()


def update_nullable_to_none(engine, table, cls, schemas, key) -> int:
    """Apply an Update that sets every nullable column to None (by column name)
    and changes nothing else; return how many columns it cleared."""
    update = getattr(schemas, f"{cls.__name__}Update")
    nullable = [c for c in table.columns if c.nullable and c.name in in_columns(update)]
    changes = update.model_validate({c.name: None for c in nullable}).model_dump(exclude_unset=True)
    with Session(engine) as session:
        obj = session.get(cls, key, execution_options={"include_deleted": True})
        before = {c.key: getattr(obj, c.key) for c in cls.__mapper__.column_attrs}
        for attr, value in changes.items():
            setattr(obj, attr, value)
        session.commit()
    with Session(engine) as session:
        obj = session.get(cls, key, execution_options={"include_deleted": True})
        for prop in cls.__mapper__.column_attrs:
            got = normalise(getattr(obj, prop.key))
            want = None if prop.key in changes else normalise(before[prop.key])
            if prop.key == "updated_at" and "updated_at" not in changes:
                continue  # the trigger moves it
            if got != want:
                raise AssertionError(f"{table.name}.{prop.key}: {want!r} after update, {got!r}")
    return len(changes)


def in_columns(update) -> set[str]:
    return {f.serialization_alias or name for name, f in update.model_fields.items()}


def main() -> None:
    url = sa.engine.make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    schemas = importlib.import_module("schemas")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into auth.users (id, email) values (:id, 'roundtrip@example.com')"
                " on conflict do nothing"
            ),
            {"id": USER_ID},
        )
    inserted: dict[str, object] = {}
    mappers = {m.local_table.name: m.class_ for m in models.Base.registry.mappers}
    for table in models.Base.metadata.sorted_tables:
        if table.schema == "auth":
            continue
        cls = mappers[table.name]
        schema = getattr(schemas, f"{cls.__name__}Create")
        data = {}
        for col in table.columns:
            attr = cls.__mapper__.get_property_by_column(col).key
            if attr not in schema.model_fields:
                continue  # set by the database (a junction's org_id, by its trigger)
            if col.server_default is not None and not col.foreign_keys and not col.primary_key:
                continue  # exercised: the database fills it in
            value = sample(col, inserted)
            if value is None and not col.nullable:
                raise AssertionError(f"{table.name}.{col.name}: required FK target not inserted")
            if col.primary_key and col.server_default is not None:
                continue
            if value is not None:
                data[attr] = value
        column_of = {
            cls.__mapper__.get_property_by_column(col).key: col.name for col in table.columns
        }
        create = schema.model_validate({column_of[a]: v for a, v in data.items()})
        if create.model_dump(exclude_unset=True) != schema.model_validate(data).model_dump(
            exclude_unset=True
        ):
            raise AssertionError(f"{table.name}: Create by column names differs")
        insert_required_only(engine, table, cls, schema, data)
        with Session(engine) as session:
            obj = cls(**create.model_dump(exclude_unset=True))
            session.add(obj)
            session.commit()
            key = sa.inspect(obj).identity
        with Session(engine) as session:
            # deleted_at gets a value too: read soft-deleted rows as well.
            again = session.get(cls, key, execution_options={"include_deleted": True})
            read = getattr(schemas, f"{cls.__name__}Read").model_validate(again)
            for attr, value in data.items():
                got = normalise(getattr(read, attr))
                want = (
                    value.value
                    if hasattr(value, "value")
                    and not isinstance(value, (uuid.UUID, decimal.Decimal))
                    else value
                )
                got = (
                    got.value
                    if hasattr(got, "value") and not isinstance(got, (uuid.UUID, decimal.Decimal))
                    else got
                )
                if isinstance(want, list):
                    want = [w.value if hasattr(w, "value") else w for w in want]
                    got = [g.value if hasattr(g, "value") else g for g in got]
                if got != want:
                    raise AssertionError(f"{table.name}.{attr}: wrote {want!r}, read {got!r}")
            for col in table.columns:
                attr = cls.__mapper__.get_property_by_column(col).key
                if not col.nullable and getattr(read, attr) is None:
                    raise AssertionError(f"{table.name}.{col.name} is NOT NULL but read None")
            inserted[table.name] = again
        cleared = update_nullable_to_none(engine, table, cls, schemas, key)
        print(
            f"roundtrip {table.name}: {len(data)} values written and read back, "
            f"{cleared} cleared by an Update"
        )
    engine.dispose()


if __name__ == "__main__":
    main()
