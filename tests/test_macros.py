"""Single macro renders, through the template's own Jinja extension: what each SQL
snippet says for one operation, without Copier or a database."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jinja2
import pytest

from supa_schema.model import ForeignKey, Policy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sql():
    """macros/sql.jinja, loaded the way Copier loads the template's extension."""
    spec = importlib.util.spec_from_file_location(
        "supa_schema_jinja", ROOT / "extensions" / "supa_schema_jinja.py"
    )
    adapter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(adapter)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ROOT), extensions=[adapter.SupaSchemaFilters]
    )
    return env.get_template("macros/sql.jinja").module


def test_a_scoped_foreign_key_includes_the_organization(sql):
    fk = ForeignKey("project_id", "projects", "set null", org_scoped=True)
    assert str(sql.fk_def("tasks", fk)) == (
        "constraint tasks_project_id_fkey foreign key (org_id, project_id) references "
        "public.projects (org_id, id) on delete set null (project_id)"
    )


def test_a_reference_to_auth_users_stays_single_column(sql):
    fk = ForeignKey("user_id", "auth.users", "cascade")
    assert str(sql.fk_def("notes", fk)) == (
        "constraint notes_user_id_fkey foreign key (user_id) references auth.users (id) "
        "on delete cascade"
    )


def test_a_policy_names_its_command_roles_and_expressions(sql):
    policy = Policy("t_update_x", "update", ("authenticated",), "a = 1", "b = 2")
    assert str(sql.policy("t", policy)) == (
        "create policy t_update_x on public.t\n  for update to authenticated\n"
        "  using (a = 1)\n  with check (b = 2);"
    )


def test_every_operation_renders_its_inverse(sql):
    from supa_schema.model import Column, ColumnType, Enum, Index, Table
    from supa_schema.plan import AddColumn, CreateEnum, CreateExtension, CreateIndex, CreateTable

    ops = [
        CreateExtension("vector"),
        CreateEnum(Enum("mood", ["ok"])),
        CreateTable(Table("notes", "python")),
        AddColumn("notes", Column("body", ColumnType("text"))),
        CreateIndex(Index("idx_notes_body", "notes", ("body",))),
    ]
    assert [str(sql.render(op.inverse())) for op in ops] == [
        "drop extension if exists vector;",
        "drop type public.mood;",
        "drop table public.notes;",
        "alter table public.notes drop column body;",
        "drop index public.idx_notes_body;",
    ]
