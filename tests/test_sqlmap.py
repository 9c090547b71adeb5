"""`supa-schema sync` reads SQL back into actions: each statement kind, the round trip
from the engine's own SQL, what stays verbatim and why, and parse errors.

The SQL is parsed by pglast (PostgreSQL's parser); the round trip renders tables
with the template's real macros.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import jinja2
import pytest

import supa_schema
from supa_schema_cli import sqlmap

ROOT = Path(__file__).resolve().parent.parent
BASE = {"languages": ["typescript", "python", "rust"], "multi_tenant": True}


@pytest.fixture(scope="module")
def sql_macros():
    spec = importlib.util.spec_from_file_location(
        "supa_schema_jinja", ROOT / "extensions" / "supa_schema_jinja.py"
    )
    adapter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(adapter)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT), extensions=[adapter.SupaSchemaFilters]
    )
    return env.get_template("macros/sql.jinja").module


def project(*actions: dict, multi_tenant: bool = True) -> supa_schema.Project:
    entries = [{"name": "before", "workspace": "typescript", "actions": list(actions)}]
    return supa_schema.build(
        {**BASE, "multi_tenant": multi_tenant, "migrations": entries if actions else []}
    )


def render(sql_macros, actions: list[dict], before: list[dict], multi_tenant: bool) -> str:
    """The SQL the engine renders for ``actions`` (each operation's macro)."""
    entries = [{"name": "new", "workspace": "typescript", "actions": actions}]
    if before:
        entries.insert(0, {"name": "before", "workspace": "typescript", "actions": before})
    built = supa_schema.build({**BASE, "multi_tenant": multi_tenant, "migrations": entries})
    out = []
    for m in built.migrations:
        if not m.name.startswith("new"):
            continue
        for op in m.operations:
            macro = re.sub(r"(?<!^)([A-Z])", r"_\1", type(op).__name__).lower()
            out.append(str(getattr(sql_macros, macro)(op)))
    return "\n\n".join(out) + "\n"


CATALOG = [
    {"table": "customers", "tenant": True, "columns": [{"name": "name", "type": "text"}]},
]
ROUND_TRIPS = {
    "tenant table with everything": (
        CATALOG,
        [
            {"enum": "order_status", "values": ["pending", "paid", "it's done"]},
            {
                "table": "orders",
                "tenant": True,
                "timestamps": True,
                "soft_delete": True,
                "columns": [
                    {"name": "code", "type": "varchar(12)", "required": True, "unique": True},
                    {"name": "total", "type": "numeric(10,2)", "required": True, "default": 0},
                    {"name": "rate", "type": "double", "default": 1.5},
                    {"name": "status", "type": "order_status", "default": "pending"},
                    {"name": "tags", "type": "text[]", "default": []},
                    {"name": "meta", "type": "jsonb", "default": {"a": 1}},
                    {"name": "paid", "type": "boolean", "required": True, "default": False},
                    {"name": "due", "type": "date", "default": "current_date"},
                    {"name": "qty", "type": "smallint", "default": -1},
                    {
                        "name": "customer_id",
                        "type": "uuid",
                        "references": "customers",
                        "on_delete": "cascade",
                    },
                    {
                        "name": "author",
                        "type": "uuid",
                        "references": "auth.users",
                        "on_delete": "set null",
                    },
                ],
                "indexes": [
                    {"columns": ["code", "total"]},
                    {"columns": ["status"], "unique": True, "name": "orders_one_status"},
                ],
            },
        ],
        True,
    ),
    "plain table, owner, composite key, vector": (
        [],
        [
            {"table": "notes", "owner": True, "columns": [{"name": "body", "type": "text"}]},
            {
                "table": "points",
                "primary_key": ["x", "y"],
                "columns": [
                    {"name": "x", "type": "integer"},
                    {"name": "y", "type": "bigint"},
                    {"name": "at", "type": "timestamptz", "default": "now()"},
                    {"name": "v", "type": "vector(3)"},
                    {"name": "note_id", "type": "uuid", "references": "notes"},
                ],
                "indexes": [{"columns": ["v"], "method": "hnsw", "ops": "cosine"}],
            },
        ],
        False,
    ),
    "changes of existing tables": (
        CATALOG,
        [
            {"column": "email", "table": "customers", "type": "text", "unique": True},
            {"index": {"table": "customers", "columns": ["name"]}},
            {"rename_column": "name", "table": "customers", "to": "title"},
        ],
        True,
    ),
}


@pytest.mark.parametrize("case", list(ROUND_TRIPS))
def test_engine_sql_parses_back_to_the_same_actions(sql_macros, case):
    before, actions, multi = ROUND_TRIPS[case]
    sql = render(sql_macros, actions, before, multi)
    mapped = sqlmap.map_sql(
        sql, "new.sql", project(*before, multi_tenant=multi), sqlmap.TableFlags()
    )
    assert mapped.verbatim == [], [v.reason for v in mapped.verbatim]
    assert mapped.actions == actions


DRIZZLE = """CREATE TABLE "invoices" (
\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
\t"org_id" uuid NOT NULL,
\t"number" varchar(20) NOT NULL,
\t"amount" numeric(12, 2) DEFAULT '0' NOT NULL,
\t"customer_id" uuid,
\t"created_at" timestamp with time zone DEFAULT now() NOT NULL,
\t"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
\tCONSTRAINT "invoices_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_id_customers_id_fk" FOREIGN KEY \
("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;\
--> statement-breakpoint
CREATE INDEX "idx_invoices_customer_id" ON "invoices" USING btree ("customer_id");\
--> statement-breakpoint
CREATE INDEX "invoices_amount_idx" ON "invoices" USING btree ("amount");
"""


def test_a_drizzle_kit_table_maps_to_a_table_action():
    mapped = sqlmap.map_sql(DRIZZLE, "0001_x.sql", project(*CATALOG))
    assert mapped.verbatim == []
    assert mapped.actions == [
        {
            "table": "invoices",
            "tenant": True,
            "timestamps": True,
            "columns": [
                {"name": "number", "type": "varchar(20)", "required": True, "unique": True},
                {"name": "amount", "type": "numeric(12,2)", "default": 0, "required": True},
                {
                    "name": "customer_id",
                    "type": "uuid",
                    "references": "customers",
                    "on_delete": "cascade",
                },
            ],
            "indexes": [{"columns": ["amount"], "name": "invoices_amount_idx"}],
        }
    ]
    assert any("idx_invoices_customer_id" in i for i in mapped.implied)


def test_table_flags_answer_what_the_sql_leaves_open():
    sql = "create table t (id uuid primary key default gen_random_uuid(), n text);"
    multi = sqlmap.map_sql(sql, "a.sql", project())
    assert multi.actions == [
        {"table": "t", "tenant": True, "columns": [{"name": "n", "type": "text"}]}
    ]
    flags = sqlmap.TableFlags(tenant=False, soft_delete=True, timestamps=True)
    chosen = sqlmap.map_sql(sql, "a.sql", project(), flags)
    assert chosen.actions == [
        {
            "table": "t",
            "timestamps": True,
            "soft_delete": True,
            "columns": [{"name": "n", "type": "text"}],
        }
    ]
    single = sqlmap.map_sql(sql, "a.sql", project(multi_tenant=False))
    assert "tenant" not in single.actions[0]


def test_alter_table_statements_map_to_changes():
    sql = """
    alter table customers add column score integer not null default 0;
    alter table customers alter column name type varchar(200);
    alter table customers alter column name set not null, alter column name set default 'x';
    alter table customers alter column score drop default;
    alter table customers alter column score drop not null;
    alter table customers drop column score;
    alter table customers rename column name to title;
    alter table customers rename to clients;
    drop index public.idx_customers_org_id;
    drop table clients;
    create type public.mood as enum ('sad', 'happy');
    alter type mood add value 'ok' after 'sad';
    alter type mood add value 'great';
    alter type mood rename value 'sad' to 'blue';
    create unique index concurrently customers_name_key2 on customers (name);
    """
    mapped = sqlmap.map_sql(sql, "b.sql", project(*CATALOG))
    assert mapped.verbatim == []
    assert mapped.actions == [
        {
            "column": "score",
            "table": "customers",
            "type": "integer",
            "required": True,
            "default": 0,
        },
        {"alter_column": "name", "table": "customers", "type": "varchar(200)"},
        {"alter_column": "name", "table": "customers", "required": True, "default": "x"},
        {"alter_column": "score", "table": "customers", "default": None},
        {"alter_column": "score", "table": "customers", "required": False},
        {"drop_column": "score", "table": "customers"},
        {"rename_column": "name", "table": "customers", "to": "title"},
        {"rename_table": "customers", "to": "clients"},
        {"drop_index": "idx_customers_org_id"},
        {"drop_table": "clients"},
        {"enum": "mood", "values": ["sad", "happy"]},
        {"enum_value": "ok", "enum": "mood", "after": "sad"},
        {"enum_value": "great", "enum": "mood"},
        {"rename_enum_value": "sad", "enum": "mood", "to": "blue"},
        {
            "index": {
                "table": "customers",
                "columns": ["name"],
                "unique": True,
                "name": "customers_name_key2",
            }
        },
    ]


def test_what_does_not_map_stays_verbatim_with_a_reason():
    sql = """create table t (id uuid primary key default gen_random_uuid(), n text);
create function public.f() returns int language sql as $$ select 1 $$;
create view v as select 1;
grant select on t to anon;
create policy t_custom on t for select using (true);
create policy t_select_org_member on t for select using (true);
create trigger audit after insert on t for each row execute function public.f();
create trigger set_updated_at before update on t for each row execute function x();
alter table t add column at timestamp;
alter table t add constraint t_n_check check (n <> '');
create index t_lower on t (lower(n));
alter table t enable row level security;
"""
    mapped = sqlmap.map_sql(sql, "c.sql", project(), sqlmap.TableFlags(tenant=False))
    assert mapped.actions == [{"table": "t", "columns": [{"name": "n", "type": "text"}]}]
    reasons = {v.line: v.reason for v in mapped.verbatim}
    assert sorted(reasons) == [2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert reasons[2] == "c.sql:2: CreateFunctionStmt has no changelog action"
    assert reasons[5] == "c.sql:5: a policy has no changelog action"
    assert reasons[8] == "c.sql:8: a trigger has no changelog action"  # not timestamps
    assert "timestamp has no supa-schema type" in reasons[9]
    assert "check constraint" in reasons[10] or "constraint other than" in reasons[10]
    assert "expression index" in reasons[11]
    assert mapped.sql.startswith("create function public.f()")
    assert mapped.sql.count(";\n") == 9
    # The policy named as the engine names it is the engine's own.
    assert any("t_select_org_member" in i for i in mapped.implied)


def test_a_foreign_key_added_to_an_existing_column_stays_sql_saying_why():
    sql = (
        'ALTER TABLE "order_items" ADD CONSTRAINT "order_items_product_id_fk" FOREIGN KEY '
        '("product_id") REFERENCES "public"."products"("id") ON DELETE cascade;\n'
        "alter table order_items add constraint q check (quantity > 0);\n"
    )
    before = project(
        {"table": "products", "columns": [{"name": "name", "type": "text"}]},
        {"table": "order_items", "columns": [{"name": "product_id", "type": "uuid"}]},
    )
    mapped = sqlmap.map_sql(sql, "d.sql", before)
    assert mapped.actions == []
    first, second = (v.reason for v in mapped.verbatim)
    assert first == (
        "d.sql:1: a foreign key added to the existing column(s) order_items.product_id: "
        "no changelog action adds one (a `relation` makes a new column); the key applies "
        "as SQL, the models do not show the reference"
    )
    assert second == "d.sql:2: a check constraint added to an existing table"


def test_a_statement_that_half_maps_stays_whole():
    sql = "create table t (id uuid primary key default gen_random_uuid(), at timestamp);\n"
    mapped = sqlmap.map_sql(sql, "d.sql", project())
    assert mapped.actions == []
    assert [v.line for v in mapped.verbatim] == [1]
    assert mapped.sql == sql.replace(";\n", "") + ";\n"


def test_sql_that_does_not_parse_names_file_and_line():
    sql = "alter table t add column a text;\n\ncreate tabel x ();\n"
    with pytest.raises(sqlmap.SqlError) as err:
        sqlmap.map_sql(sql, "drizzle/0002_bad.sql", project())
    assert str(err.value) == 'drizzle/0002_bad.sql:3: syntax error at or near "tabel"'


def test_a_created_tables_open_questions_are_asked_in_the_table_commands_order():
    """tenant, soft delete, timestamps, as `supa-schema table` asks, each defaulting to
    what the SQL says; a flag answers its question, and SQL with org_id asks no tenancy."""
    asked: list[tuple[str, str, bool]] = []

    def ask(table: str, option: str, default: bool) -> bool:
        asked.append((table, option, default))
        return option == "soft_delete"

    sql = (
        "create table notes (id uuid primary key default gen_random_uuid(), body text,\n"
        "  created_at timestamptz not null default now(),\n"
        "  updated_at timestamptz not null default now());\n"
        "create table pins (id uuid primary key default gen_random_uuid(), org_id uuid);\n"
    )
    flags = sqlmap.TableFlags(timestamps=True, ask=ask)
    mapped = sqlmap.map_sql(sql, "m.sql", project(), flags)
    assert asked == [
        ("notes", "tenant", True),
        ("notes", "soft_delete", False),
        ("pins", "soft_delete", False),
    ]
    notes, pins = mapped.actions
    assert notes == {
        "table": "notes",
        "timestamps": True,
        "soft_delete": True,
        "columns": [{"name": "body", "type": "text"}],
    }
    assert pins == {"table": "pins", "tenant": True, "timestamps": True, "soft_delete": True}
