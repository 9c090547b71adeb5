"""Secure by default: Supabase's advisor rules find nothing in any example, each
rule's query does find a deliberately bad object, and RLS behaves for real."""

from __future__ import annotations

import psycopg
import pytest
from advisor import BAD, RULES
from support import EXAMPLE_NAMES


def findings(uri: str, rule: str) -> list[tuple]:
    with psycopg.connect(uri) as conn:
        return conn.execute(RULES[rule]).fetchall()


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_advisor_rule_finds_nothing(rule, example, migrated):
    assert findings(migrated(example), rule) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_advisor_rule_can_fail(rule, pg):
    uri = pg.create_database(f"lint_{rule}"[:60])
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(BAD[rule])
    assert findings(uri, rule) != []


def test_helpers_are_private_security_definer_and_not_for_anon(migrated):
    with psycopg.connect(migrated("saas")) as conn:
        rows = conn.execute("""
            select p.proname, p.prosecdef, p.proconfig,
                   has_function_privilege('anon', p.oid, 'execute'),
                   has_function_privilege('authenticated', p.oid, 'execute')
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'private'""").fetchall()
        helpers = {r[0]: r[1:] for r in rows}
        for name in ("user_org_ids", "is_org_member"):
            secdef, config, anon, authenticated = helpers[name]
            assert secdef and 'search_path=""' in config[0].replace("''", '""')
            assert not anon and authenticated
        public_secdef = conn.execute(
            "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = 'public' and p.prosecdef"
        ).fetchone()[0]
        assert public_secdef == 0


def as_user(conn, user: str | None):
    """Act as a signed-in user (or anon) the way PostgREST does."""
    if user is None:
        conn.execute("set local role anon")
        conn.execute("select set_config('request.jwt.claims', '{\"role\": \"anon\"}', true)")
    else:
        conn.execute("set local role authenticated")
        conn.execute(
            "select set_config('request.jwt.claims', %s, true)",
            [f'{{"sub": "{user}", "role": "authenticated"}}'],
        )


def test_tenant_rows_are_visible_only_to_their_organization(migrated):
    a, b = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    with psycopg.connect(migrated("saas")) as conn:
        conn.execute("insert into auth.users (id) values (%s), (%s)", [a, b])
        org_a = conn.execute(
            "insert into organizations (name) values ('A') returning id"
        ).fetchone()[0]
        org_b = conn.execute(
            "insert into organizations (name) values ('B') returning id"
        ).fetchone()[0]
        conn.execute(
            "insert into organization_members (org_id, user_id, role) values "
            "(%s, %s, 'member'), (%s, %s, 'member')",
            [org_a, a, org_b, b],
        )
        conn.execute(
            "insert into categories (org_id, title) values (%s, 'a1'), (%s, 'b1')", [org_a, org_b]
        )
        conn.commit()
        with conn.transaction():
            as_user(conn, a)
            titles = [r[0] for r in conn.execute("select title from categories")]
            assert titles == ["a1"]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with conn.transaction():
                    conn.execute("insert into categories (org_id, title) values (%s, 'x')", [org_b])
            updated = conn.execute(
                "update categories set title = 'hacked' where org_id = %s", [org_b]
            ).rowcount
            assert updated == 0
        with conn.transaction():
            as_user(conn, None)
            assert conn.execute("select count(*) from categories").fetchone()[0] == 0
        conn.execute("delete from organization_members where user_id = %s", [a])
        conn.commit()
        with conn.transaction():
            as_user(conn, a)
            assert conn.execute("select count(*) from categories").fetchone()[0] == 0
