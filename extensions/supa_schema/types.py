"""The one table of column types and how each language spells them.

Every generator reads this table; nothing else in the project maps types.
A row's strings are format templates filled from the column's parameters:
``{length}``, ``{precision}``, ``{scale}``, ``{dimensions}`` and, for enums,
``{enum}`` (the SQL name), ``{Enum}`` (the language-level class name) and
``{enumTs}`` (the Drizzle ``pgEnum`` constant).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TypeSpec:
    """How one column type is written in SQL and in each workspace language."""

    name: str
    sql: str  # DDL spelling
    sqlalchemy: str  # SQLAlchemy type expression (module prefix ``sa.``/``pg.``/``Vector``)
    python: str  # Python annotation used by the model (``Mapped[...]``)
    pydantic: str  # Pydantic v2 annotation (a name: parametrised types are aliases)
    drizzle: str  # drizzle-orm/pg-core column builder call, ``{col}`` is the SQL name
    drizzle_import: str  # the builder to import from drizzle-orm/pg-core ('' for enums)
    ts: str  # TypeScript type of a selected value (Supabase's generated types)
    rust: str  # Rust type decoded by sqlx
    params: tuple[str, ...] = ()  # parameters this type takes in the answers
    required_params: tuple[str, ...] = ()
    array_ok: bool = True  # may be used as ``type[]``
    literal: str = "none"  # which kind of default literal it accepts
    # The type alias a Pydantic schema module declares for ``pydantic`` when the
    # type takes parameters: ``VarChar_80 = Annotated[str, Field(max_length=80)]``.
    # Alias names hold an underscore, so they never meet a PascalCase class name.
    pydantic_alias: str = ""


TYPES: dict[str, TypeSpec] = {
    t.name: t
    for t in [
        TypeSpec(
            "uuid",
            "uuid",
            "sa.Uuid",
            "uuid.UUID",
            "uuid.UUID",
            "uuid('{col}')",
            "uuid",
            "string",
            "uuid::Uuid",
            literal="uuid",
        ),
        TypeSpec(
            "text",
            "text",
            "sa.Text",
            "str",
            "str",
            "text('{col}')",
            "text",
            "string",
            "String",
            literal="string",
        ),
        TypeSpec(
            "varchar",
            "varchar({length})",
            "sa.String({length})",
            "str",
            "VarChar_{length}",
            "varchar('{col}', {{ length: {length} }})",
            "varchar",
            "string",
            "String",
            params=("length",),
            required_params=("length",),
            literal="string",
            pydantic_alias="Annotated[str, Field(max_length={length})]",
        ),
        TypeSpec(
            "smallint",
            "smallint",
            "sa.SmallInteger",
            "int",
            "int",
            "smallint('{col}')",
            "smallint",
            "number",
            "i16",
            literal="int16",
        ),
        TypeSpec(
            "integer",
            "integer",
            "sa.Integer",
            "int",
            "int",
            "integer('{col}')",
            "integer",
            "number",
            "i32",
            literal="int32",
        ),
        TypeSpec(
            "bigint",
            "bigint",
            "sa.BigInteger",
            "int",
            "int",
            "bigint('{col}', {{ mode: 'number' }})",
            "bigint",
            "number",
            "i64",
            literal="int64",
        ),
        TypeSpec(
            "numeric",
            "numeric({precision}, {scale})",
            "sa.Numeric({precision}, {scale})",
            "decimal.Decimal",
            "Numeric_{precision}_{scale}",
            "numeric('{col}', {{ precision: {precision}, scale: {scale} }})",
            "numeric",
            "number",
            "rust_decimal::Decimal",
            params=("precision", "scale"),
            required_params=("precision",),
            literal="decimal",
            pydantic_alias=(
                "Annotated[decimal.Decimal, Field(max_digits={precision}, decimal_places={scale})]"
            ),
        ),
        TypeSpec(
            "real",
            "real",
            "sa.REAL",
            "float",
            "float",
            "real('{col}')",
            "real",
            "number",
            "f32",
            literal="float",
        ),
        TypeSpec(
            "double",
            "double precision",
            "sa.Double",
            "float",
            "float",
            "doublePrecision('{col}')",
            "doublePrecision",
            "number",
            "f64",
            literal="float",
        ),
        TypeSpec(
            "boolean",
            "boolean",
            "sa.Boolean",
            "bool",
            "bool",
            "boolean('{col}')",
            "boolean",
            "boolean",
            "bool",
            literal="bool",
        ),
        TypeSpec(
            "timestamptz",
            "timestamptz",
            "sa.DateTime(timezone=True)",
            "datetime.datetime",
            "datetime.datetime",
            "timestamp('{col}', {{ withTimezone: true }})",
            "timestamp",
            "string",
            "chrono::DateTime<chrono::Utc>",
            literal="timestamptz",
        ),
        TypeSpec(
            "date",
            "date",
            "sa.Date",
            "datetime.date",
            "datetime.date",
            "date('{col}')",
            "date",
            "string",
            "chrono::NaiveDate",
            literal="date",
        ),
        TypeSpec(
            "time",
            "time",
            "sa.Time",
            "datetime.time",
            "datetime.time",
            "time('{col}')",
            "time",
            "string",
            "chrono::NaiveTime",
            literal="time",
        ),
        TypeSpec(
            "jsonb",
            "jsonb",
            "pg.JSONB",
            "Any",
            "JsonValue",
            "jsonb('{col}')",
            "jsonb",
            "Json",
            "serde_json::Value",
            literal="json",
        ),
        TypeSpec(
            "bytea",
            "bytea",
            "sa.LargeBinary",
            "bytes",
            "bytes",
            "bytea('{col}')",
            "bytea",
            "string",
            "Vec<u8>",
            literal="none",
        ),
        TypeSpec(
            "vector",
            "extensions.vector({dimensions})",
            "Vector({dimensions})",
            "Any",
            "FloatVector_{dimensions}",
            "vector('{col}', {{ dimensions: {dimensions} }})",
            "vector",
            "string",
            "pgvector::Vector",
            params=("dimensions",),
            required_params=("dimensions",),
            array_ok=False,
            literal="none",
            pydantic_alias=(
                "Annotated[FloatVector, Field(min_length={dimensions}, max_length={dimensions})]"
            ),
        ),
        # Declared enums; ``{enum}`` etc. come from the enum the column names.
        TypeSpec(
            "enum",
            "public.{enum}",
            "{Enum}Type",
            "{Enum}",
            "{Enum}",
            "{enumTs}('{col}')",
            "",
            'Database["public"]["Enums"]["{enum}"]',
            "{Enum}",
            literal="enum",
        ),
    ]
}

# Spellings users may write in the answers, mapped to the canonical name.
ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "bool": "boolean",
    "float4": "real",
    "float8": "double",
    "double precision": "double",
    "decimal": "numeric",
    "timestamp with time zone": "timestamptz",
    "json": "jsonb",
    "string": "text",
    "character varying": "varchar",
}

# Array spellings per language (applied around the element's spelling).
ARRAY = {
    "sql": "{inner}[]",
    "sqlalchemy": "pg.ARRAY({inner})",
    "python": "list[{inner}]",
    "pydantic": "list[{inner}]",
    "drizzle": "{inner}.array()",
    "ts": "{inner}[]",
    "rust": "Vec<{inner}>",
}

LANGUAGE_FIELDS = ("sql", "sqlalchemy", "python", "pydantic", "drizzle", "ts", "rust")


# Type changes that keep every value: PostgreSQL casts them implicitly or on
# assignment, and they never round or cut (a value that does not fit makes
# the migration fail instead of changing). Any type but bytea and vector also
# converts to text or varchar (its text form).
WIDENING = {
    "smallint": {"integer", "bigint", "numeric", "real", "double"},
    "integer": {"bigint", "numeric", "double"},
    "bigint": {"numeric"},
    "real": {"double"},
    "date": {"timestamptz"},
    "varchar": {"text"},
    "text": {"varchar"},
}
STRINGS = ("text", "varchar")


def cast_problem(old, new) -> str | None:  # (ColumnType, ColumnType): model imports types
    """Why ``alter_column`` cannot change a column from ``old`` to ``new`` keeping
    every value, or None when it can."""
    if old.array != new.array:
        return "a column cannot change between one value and an array of values"
    if old.base == new.base:
        if old.base == "enum" and old.enum.name != new.enum.name:
            return "PostgreSQL has no cast between two enum types"
        if old.base == "numeric" and (new.scale or 0) < (old.scale or 0):
            return "fewer decimal places would round the stored values"
        if old.base == "vector":
            return "stored vectors have the old number of dimensions"
        return None
    if new.base in STRINGS and old.base not in ("bytea", "vector"):
        return None
    if new.base in WIDENING.get(old.base, ()):
        return None
    if old.base in ("numeric", "real", "double") and new.base in ("smallint", "integer", "bigint"):
        return "PostgreSQL would round every value to a whole number"
    return "PostgreSQL has no implicit or assignment cast between them that keeps every value"
