"""supabase.ts is, type for type, what `supabase gen types typescript` writes.

The Supabase CLI generates types by running postgres-meta's server script with
PG_META_GENERATE_TYPES=typescript against the database (one-to-one detection on,
the schemas of supabase/config.toml's `[api] schemas`). The test does the same
against the embedded PostgreSQL migrated from supabase/migrations, then has `tsc`
prove that each type our file exports equals the generated one.

What the comparison covers: every schema the generator writes for this database.
The embedded database has no `graphql_public` (Supabase's image makes it with
pg_graphql), so against it the generator writes `public` only, and so does our
file; a project's real `supabase gen types` adds `graphql_public` besides.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from support import EXAMPLES, copier_copy, workspace_dir
from test_typescript import TS_EXAMPLES

from supa_schema import build
from supa_schema_cli import database

# Type equality as tsc sees it (mutual assignability is not enough: `any`, optional
# versus `| undefined`, readonly); a difference reads as a string literal type
# that names it, e.g. `"public.Tables.tasks.Row differs at: estimate"`.
PRELUDE = """\
import type * as Ours from "./ours";
import type * as Theirs from "./theirs";

type Equals<A, B> =
  (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
type Keys<A> = A extends readonly unknown[] ? Exclude<keyof A, keyof unknown[]> : keyof A;
type DiffKeys<A, B> = {
  [K in Keys<A> | Keys<B>]-?: K extends keyof A
    ? K extends keyof B
      ? Equals<A[K], B[K]> extends true
        ? never
        : K
      : K
    : K;
}[Keys<A> | Keys<B>];
type Same<Name extends string, A, B> =
  Equals<A, B> extends true
    ? "same"
    : [DiffKeys<A, B>] extends [never]
      ? `${Name} differs`
      : `${Name} differs at: ${DiffKeys<A, B> & (string | number)}`;

type O = Ours.Database["public"];
type T = Theirs.Database["public"];
"""

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "noEmit": True,
        "skipLibCheck": True,
        "types": [],
    },
    "files": ["ours.ts", "theirs.ts", "check.ts"],
}


def api_schemas(repo: Path) -> list[str]:
    """The `[api] schemas` of supabase/config.toml, which `supabase gen types` includes."""
    text = (repo / "supabase" / "config.toml").read_text()
    api = text.split("[api]", 1)[1].split("\n[", 1)[0]
    found = re.search(r"^schemas = (\[.*\])$", api, re.M)
    assert found, "no [api] schemas in supabase/config.toml"
    return json.loads(found.group(1))


def supabase_gen_types(postgres_meta: Path, uri: str, schemas: list[str]) -> str:
    """What `supabase gen types typescript --local` writes for the database at ``uri``
    (the environment the CLI gives postgres-meta, apps/cli-go/internal/gen/types)."""
    # node-postgres wants a host in the URL; `?host=` (the socket directory) wins.
    url = uri.replace("@/", "@localhost/", 1)
    env = dict(
        os.environ,
        PG_META_DB_URL=url,
        PG_META_GENERATE_TYPES="typescript",
        PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS=",".join(schemas),
        PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS="true",
    )
    result = subprocess.run(
        ["node", str(postgres_meta)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "export type Database" in result.stdout, result.stderr
    return result.stdout


def exports(source: str) -> dict[str, str]:
    """A TypeScript file's exports: name -> kind (type, const)."""
    return dict(
        (m.group(2), m.group(1))
        for m in re.finditer(r"^export (type|const|interface|enum) (\w+)", source, re.M)
    )


def checks(answers: dict) -> list[tuple[str, str, str]]:
    """(name, our type, their type) for every type the comparison proves equal."""
    project = build(answers)
    out = [
        ("Json", "Ours.Json", "Theirs.Json"),
        ("Database (schemas)", "keyof Ours.Database", "keyof Theirs.Database"),
        ("public (sections)", "keyof O", "keyof T"),
        ("public.Tables (names)", 'keyof O["Tables"]', 'keyof T["Tables"]'),
    ]
    for t in project.all_tables:
        for part in ("Row", "Insert", "Update", "Relationships"):
            path = f'["Tables"]["{t.name}"]["{part}"]'
            out.append((f"public.Tables.{t.name}.{part}", f"O{path}", f"T{path}"))
        path = f'["Tables"]["{t.name}"]'
        out.append((f"public.Tables.{t.name}", f"O{path}", f"T{path}"))
    for section in ("Views", "Functions", "Enums", "CompositeTypes"):
        out.append((f"public.{section}", f'O["{section}"]', f'T["{section}"]'))
    out.append(("public", "O", "T"))
    for t in project.all_tables:
        for helper in ("Tables", "TablesInsert", "TablesUpdate"):
            for args in (f'"{t.name}"', f'{{ schema: "public" }}, "{t.name}"'):
                out.append((f"{helper}<{args}>".replace('"', "'"), f"Ours.{helper}<{args}>", ""))
    for e in project.enums:
        for args in (f'"{e}"', f'{{ schema: "public" }}, "{e}"'):
            out.append((f"Enums<{args}>".replace('"', "'"), f"Ours.Enums<{args}>", ""))
    out.append(
        (
            "CompositeTypes<{ schema: 'public' }>",
            'Ours.CompositeTypes<{ schema: "public" }>',
            "",
        )
    )
    out.append(("Constants", "typeof Ours.Constants", "typeof Theirs.Constants"))
    return [(n, o, t or o.replace("Ours.", "Theirs.")) for n, o, t in out]


def check_source(items: list[tuple[str, str, str]]) -> str:
    lines = [
        f'export const check{i}: Same<"{name}", {ours}, {theirs}> = "same";'
        for i, (name, ours, theirs) in enumerate(items)
    ]
    return PRELUDE + "\n" + "\n".join(lines) + "\n"


def compare(ours: str, theirs: str, items, project_dir: Path, node_modules: Path) -> list[str]:
    """tsc's complaints (one line each) about ``ours`` against ``theirs``."""
    project_dir.mkdir(parents=True, exist_ok=True)
    (project_dir / "ours.ts").write_text(ours)
    (project_dir / "theirs.ts").write_text(theirs)
    (project_dir / "check.ts").write_text(check_source(items))
    (project_dir / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    result = subprocess.run(
        [str(node_modules / ".bin" / "tsc"), "-p", str(project_dir), "--pretty", "false"],
        cwd=project_dir,
        capture_output=True,
        text=True,
    )
    complaints = [line for line in result.stdout.splitlines() if re.match(r"\S+\(\d+,\d+\)", line)]
    assert (result.returncode == 0) == (not complaints), result.stdout + result.stderr
    return complaints


@pytest.fixture(scope="session")
def generated_types(rendered, migrated, postgres_meta):
    cache: dict[str, str] = {}

    def get(example: str) -> str:
        if example not in cache:
            repo = rendered(example)
            cache[example] = supabase_gen_types(postgres_meta, migrated(example), api_schemas(repo))
        return cache[example]

    return get


def ours_of(repo: Path) -> str:
    return (workspace_dir(repo, "typescript") / "src" / "types" / "supabase.ts").read_text()


def differences(ours: str, theirs: str, answers: dict, tmp: Path, node_modules: Path) -> str:
    """What tsc finds different between the two files, and exports only one has."""
    complaints = compare(ours, theirs, checks(answers), tmp, node_modules)
    mine, generated = exports(ours), exports(theirs)
    complaints += [
        f"export {name}: {mine.get(name, 'missing')} here, {generated.get(name, 'missing')} there"
        for name in sorted(set(mine) | set(generated))
        if mine.get(name) != generated.get(name)
    ]
    return "\n".join(complaints)


@pytest.mark.parametrize("example", TS_EXAMPLES)
def test_supabase_ts_equals_what_supabase_gen_types_writes(
    example, rendered, generated_types, node_modules, tmp_path
):
    ours, theirs = ours_of(rendered(example)), generated_types(example)
    answers = yaml.safe_load((EXAMPLES / f"{example}.yml").read_text())
    assert differences(ours, theirs, answers, tmp_path, node_modules) == ""


# One-to-one keys (a unique reference; not one when organization-scoped, as the
# key then has org_id too) and constraint names whose order differs between
# byte order and JavaScript's localeCompare (`issuer2_id` / `issuer_id`).
EDGES = {
    "project_name": "Edges",
    "languages": ["typescript"],
    "typescript_orm": "drizzle",
    "multi_tenant": True,
    "migrations": [
        {
            "name": "create_edges",
            "workspace": "typescript",
            "actions": [
                {"table": "kinds", "columns": [{"name": "label", "type": "text"}]},
                {
                    "table": "kind_details",
                    "columns": [
                        {"name": "kind_id", "type": "uuid", "unique": True, "references": "kinds"},
                        {"name": "issuer_id", "type": "uuid", "references": "kinds"},
                        {"name": "issuer2_id", "type": "uuid", "references": "kinds"},
                    ],
                },
                {"table": "people", "tenant": True, "columns": [{"name": "n", "type": "text"}]},
                {
                    "table": "passports",
                    "tenant": True,
                    "columns": [
                        {
                            "name": "person_id",
                            "type": "uuid",
                            "unique": True,
                            "references": "people",
                        }
                    ],
                },
            ],
        }
    ],
}


def test_one_to_one_keys_and_key_order_agree_too(
    pg, postgres_meta, node_modules, tmp_path, tmp_path_factory
):
    repo = tmp_path_factory.mktemp("edges") / "repo"
    copier_copy(EDGES, repo)
    uri = pg.create_database("types_edges")
    database.apply_migrations(uri, repo)
    ours, theirs = ours_of(repo), supabase_gen_types(postgres_meta, uri, api_schemas(repo))
    assert "isOneToOne: true" in theirs.split("CompositeTypes")[0].split("Functions")[0]
    assert differences(ours, theirs, EDGES, tmp_path, node_modules) == ""


def test_the_comparison_names_what_differs(rendered, generated_types, node_modules, tmp_path):
    """The test above can fail: a nullable column made required, relationships in
    another order, a missing enum value, each is named."""
    ours = ours_of(rendered("saas"))
    broken = ours.replace("note: string | null;", "note: string;", 1)
    order, org = (relationship(broken, f"order_items_{c}_fkey") for c in ("order_id", "org_id"))
    broken = broken.replace(order + org, org + order)
    broken = broken.replace('"dhl express"', '"dhl"')
    assert broken.count("note: string;") == 1 and '"dhl"' in broken
    answers = yaml.safe_load((EXAMPLES / "saas.yml").read_text())
    text = differences(broken, generated_types("saas"), answers, tmp_path, node_modules)
    assert all(c.startswith("check.ts(") and "TS2322" in c for c in text.splitlines()), text
    for expected in (
        '"public.Tables.orders.Row differs at: note"',
        '"public.Tables.order_items.Relationships differs at: 0"'
        ' | "public.Tables.order_items.Relationships differs at: 1"',
        '"public.Enums differs at: carrier"',
        "\"Enums<'carrier'> differs\"",
        '"Constants differs at: public"',
    ):
        assert expected in text, text


def relationship(source: str, name: str) -> str:
    """The entry of foreign key ``name`` in a Relationships list."""
    start = source.index(f'          {{\n            foreignKeyName: "{name}";')
    return source[start : source.index("          },\n", start) + len("          },\n")]
