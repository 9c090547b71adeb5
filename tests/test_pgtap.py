"""The generated supabase/tests/*.test.sql run for real with pgTAP and pass; a
broken policy makes them fail."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pgserver
import psycopg
import pytest
from support import EXAMPLE_NAMES, load_example

from supa_schema import build

PSQL = Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"


def tap_files(repo: Path) -> list[Path]:
    return sorted((repo / "supabase" / "tests").glob("*.test.sql"))


def run_tap(pg, uri: str, path: Path, check: bool = True) -> str:
    dbname = uri.split("@/")[1].split("?")[0]
    result = subprocess.run(
        [
            str(PSQL),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            pg.socket_dir,
            "-U",
            "postgres",
            "-d",
            dbname,
            "-f",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    # A weakened database may also make a later statement fail outright.
    assert result.returncode == 0 or not check, result.stdout + result.stderr
    return result.stdout


def with_pgtap(fresh_db, example: str, pgtap_sql: str) -> str:
    uri = fresh_db(example, "tap")
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(pgtap_sql)
    return uri


def tap_results(out: str) -> tuple[int, list[str], list[str]]:
    """(planned, passed lines, failed lines) of a pgTAP run."""
    lines = [line for line in out.splitlines() if line.startswith(("ok ", "not ok", "1.."))]
    assert lines and lines[0].startswith("1.."), out
    return (
        int(lines[0][3:]),
        [line for line in lines if line.startswith("ok ")],
        [line for line in lines if line.startswith("not ok")],
    )


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_generated_pgtap_tests_pass(example, rendered, fresh_db, pg, pgtap_sql):
    repo = rendered(example)
    files = tap_files(repo)
    project = build(load_example(example))
    expected = [t.name for t in project.tenant_tables + project.tenant_junctions]
    if project.multi_tenant:
        expected += ["organizations", "organization_members"]
    assert [f.name for f in files] == sorted(f"{name}_rls.test.sql" for name in expected)
    if not files:
        return
    uri = with_pgtap(fresh_db, example, pgtap_sql)
    for path in files:
        planned, passed, failed = tap_results(run_tap(pg, uri, path))
        assert failed == [], (path.name, failed)
        assert len(passed) == planned, path.name


# Each kind of attack the generated tests try, against a deliberately weakened
# database: (test file, the SQL that weakens it, a test that must then fail).
SAAS_CROSS_ORG_FK = """
    alter table public.order_items drop constraint order_items_product_id_fkey;
    alter table public.order_items add constraint order_items_product_id_fkey
      foreign key (product_id) references public.products (id) on delete set null;
"""
WEAKENED = {
    "cross-org read": (
        "categories",
        """
        drop policy categories_select_org_member on public.categories;
        create policy categories_select_org_member on public.categories
          for select to authenticated using (true);""",
        "sees only their organization",
    ),
    "cross-org reference on insert": (
        "order_items",
        SAAS_CROSS_ORG_FK,
        "cannot reference products of organization B",
    ),
    "cross-org reference on update": (
        "order_items",
        SAAS_CROSS_ORG_FK,
        "cannot be moved to reference products of organization B",
    ),
    "existence oracle": ("order_items", SAAS_CROSS_ORG_FK, "fails the same way"),
    "move a row to another organization": (
        "categories",
        """
        drop policy categories_update_org_member on public.categories;
        create policy categories_update_org_member on public.categories for update
          to authenticated using (org_id in (select private.user_org_ids()))
          with check (true);
        -- PostgreSQL also checks an updated row against the select policy.
        drop policy categories_select_org_member on public.categories;
        create policy categories_select_org_member on public.categories
          for select to authenticated using (true);""",
        "cannot move their row",
    ),
    "junction across organizations": (
        "products_categories",
        """
        alter table public.products_categories
          drop constraint products_categories_category_id_fkey;
        alter table public.products_categories add constraint
          products_categories_category_id_fkey foreign key (category_id)
          references public.categories (id) on delete cascade;""",
        "cannot join products of A to categories of B",
    ),
    "soft-deleted rows readable": (
        "products",
        """
        drop policy products_select_org_member on public.products;
        create policy products_select_org_member on public.products
          for select to authenticated using (org_id in (select private.user_org_ids()));""",
        "soft-deleted row is hidden",
    ),
    "anon reads tenant rows": (
        "categories",
        """
        create policy categories_select_anon on public.categories
          for select to anon using (true);""",
        "anon sees no rows",
    ),
    "role escalation": (
        "organization_members",
        """
        drop policy organization_members_update_manager on public.organization_members;
        create policy organization_members_update_manager on public.organization_members
          for update to authenticated using (org_id in (select private.user_org_ids('admin')))
          with check (org_id in (select private.user_org_ids('admin')));""",
        "cannot make themselves owner",
    ),
    "admin adds an owner": (
        "organization_members",
        """
        drop policy organization_members_insert_manager on public.organization_members;
        create policy organization_members_insert_manager on public.organization_members
          for insert to authenticated
          with check (org_id in (select private.user_org_ids('admin')));""",
        "cannot add an owner",
    ),
    "owner removal": (
        "organization_members",
        """
        drop policy organization_members_delete_manager_or_self on public.organization_members;
        create policy organization_members_delete_manager_or_self on public.organization_members
          for delete to authenticated using (user_id = (select auth.uid())
            or org_id in (select private.user_org_ids('admin')));""",
        "cannot remove an owner",
    ),
    "leaving": (
        "organization_members",
        """
        drop policy organization_members_delete_manager_or_self on public.organization_members;
        create policy organization_members_delete_manager_or_self on public.organization_members
          for delete to authenticated using (org_id in (select private.user_org_ids('owner'))
            or (role <> 'owner' and org_id in (select private.user_org_ids('admin'))));""",
        "a member may leave",
    ),
    "last owner leaves": (
        "organization_members",
        "drop trigger keep_an_owner on public.organization_members;",
        "last owner cannot leave",
    ),
    "membership moved": (
        "organization_members",
        "grant update on public.organization_members to authenticated;",
        "nobody changes whom",
    ),
    "create an organization": (
        "organizations",
        "revoke execute on function public.create_organization(text) from authenticated;",
        "a signed-in user creates an organization",
    ),
    "anon creates an organization": (
        "organizations",
        """
        create or replace function private.create_organization(name text)
        returns public.organizations language sql security definer set search_path = ''
        as $$ insert into public.organizations (name) values (name) returning * $$;
        grant usage on schema private to anon;
        grant execute on function private.create_organization(text) to anon;
        grant execute on function public.create_organization(text) to anon;""",
        "anon cannot create an organization",
    ),
    "organization created directly": (
        "organizations",
        """
        create policy organizations_insert_any on public.organizations
          for insert to authenticated with check (true);""",
        "created only through create_organization",
    ),
}


@pytest.mark.parametrize("attack", sorted(WEAKENED))
def test_pgtap_tests_fail_when_the_database_is_weakened(attack, rendered, fresh_db, pg, pgtap_sql):
    """Every kind of generated test catches the hole it is written for."""
    table, weaken, catches = WEAKENED[attack]
    uri = with_pgtap(fresh_db, "saas", pgtap_sql)
    path = rendered("saas") / f"supabase/tests/{table}_rls.test.sql"
    _, _, failed = tap_results(run_tap(pg, uri, path))
    assert failed == [], failed  # the file passes before the weakening
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(weaken)
    _, _, failed = tap_results(run_tap(pg, uri, path, check=False))
    assert any(catches in line for line in failed), failed
