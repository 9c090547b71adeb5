"""The generated supabase/tests/*.test.sql run for real with pgTAP and pass; a
broken policy makes them fail."""

from __future__ import annotations

import glob
import subprocess
from pathlib import Path

import pgserver
import psycopg
import pytest

from conftest import EXAMPLE_NAMES

PSQL = Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"


@pytest.fixture(scope="session")
def pgtap_sql() -> str:
    """pgTAP's plain install script (Debian's postgresql-*-pgtap; ./dev setup installs it)."""
    found = sorted(glob.glob("/usr/share/postgresql/*/extension/pgtap.sql"))
    assert found, "pgTAP is not installed: apt-get install postgresql-15-pgtap (./dev setup)"
    text = Path(found[-1]).read_text()
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\"))


def tap_files(repo: Path) -> list[Path]:
    return sorted((repo / "supabase" / "tests").glob("*.test.sql"))


def run_tap(pg, uri: str, path: Path) -> str:
    dbname = uri.split("@/")[1].split("?")[0]
    result = subprocess.run([str(PSQL), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                             "-h", pg.socket_dir, "-U", "postgres", "-d", dbname,
                             "-f", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def with_pgtap(fresh_db, example: str, pgtap_sql: str) -> str:
    uri = fresh_db(example, "tap")
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute(pgtap_sql)
    return uri


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_generated_pgtap_tests_pass(example, rendered, fresh_db, pg, pgtap_sql):
    repo = rendered(example)
    files = tap_files(repo)
    from supa_schema import build
    import yaml
    from conftest import EXAMPLES

    project = build(yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()))
    assert [f.name for f in files] == sorted(f"{t.name}_rls.test.sql"
                                             for t in project.tenant_tables)
    if not files:
        return
    uri = with_pgtap(fresh_db, example, pgtap_sql)
    for path in files:
        out = run_tap(pg, uri, path)
        lines = [line for line in out.splitlines()
                 if line.startswith(("ok ", "not ok", "1.."))]
        assert lines[0] == "1..10", out
        assert [line for line in lines if line.startswith("not ok")] == [], out
        assert sum(line.startswith("ok ") for line in lines) == 10, out


def test_pgtap_tests_fail_when_a_policy_is_broken(rendered, fresh_db, pg, pgtap_sql):
    uri = with_pgtap(fresh_db, "saas", pgtap_sql)
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("drop policy categories_select_org_member on public.categories")
        conn.execute("create policy categories_select_org_member on public.categories "
                     "for select to authenticated using (true)")
    out = run_tap(pg, uri, rendered("saas") / "supabase/tests/categories_rls.test.sql")
    failed = [line for line in out.splitlines() if line.startswith("not ok")]
    assert failed and any("only their organization" in line for line in failed), out
