"""Reading the answers: project settings and the changelog's entries.

Validates the shape of each entry (names, owners, ranges, synced fields); the
actions inside entries are validated by the builder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import names, upgrade
from .errors import SchemaError
from .plan import Migration
from .project import Project
from .workspaces import RANGE_SIZE, WORKSPACE_KINDS, Workspace


def project_settings(answers: Mapping[str, Any]) -> Project:
    """The project questions (name, workspaces, ORMs, paths, tenancy) as a Project
    with no schema yet."""
    name = answers.get("project_name") or "app"
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "\r\n"):
        raise SchemaError("project_name", "must be a one-line, non-empty name")
    languages = answers.get("languages") or []
    if isinstance(languages, str):
        languages = [languages]
    if not isinstance(languages, list):
        raise SchemaError("languages", "must be a list of typescript, python, rust")
    workspaces: dict[str, Workspace] = {}
    paths: dict[str, str] = {}
    for lang in languages:
        kind = WORKSPACE_KINDS.get(lang)
        if kind is None:
            raise SchemaError(
                "languages", f"unknown language {lang!r}", "choose from typescript, python, rust"
            )
        orm = answers.get(f"{lang}_orm", kind.orms[0])
        if orm in (None, "none", "null", False, ""):
            orm = None
        elif orm not in kind.orms:
            raise SchemaError(
                f"{lang}_orm", f"unknown ORM {orm!r}", f"choose {' or '.join(kind.orms)} or none"
            )
        path = answers.get(f"{lang}_path") or kind.default_path
        if (
            not isinstance(path, str)
            or not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", path)
            or any(p in (".", "..") for p in path.split("/"))
        ):
            raise SchemaError(
                f"{lang}_path",
                f"{path!r} is not a relative path inside the repo",
                "use a path like apps/api (letters, digits, . _ - and /)",
            )
        if path in paths.values() or path in ("supabase", ".kodo"):
            raise SchemaError(f"{lang}_path", f"{path!r} is already used")
        paths[lang] = path
        workspaces[lang] = Workspace(lang, kind, orm, path)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "app"
    multi = answers.get("multi_tenant", False)
    if not isinstance(multi, bool):
        raise SchemaError("multi_tenant", "must be true or false")
    return Project(name=name.strip(), slug=slug, multi_tenant=multi, workspaces=workspaces)


def entries(answers: Mapping[str, Any], project: Project) -> tuple[list[Migration], list]:
    """The changelog's entries, numbered in their owners' ranges and sorted in
    file-name order, with the raw entries they came from."""
    raw = answers.get("migrations") or []
    if isinstance(raw, str):
        raise SchemaError("migrations", "must be a YAML list of entries, not a string")
    if not isinstance(raw, list):
        raise SchemaError("migrations", "must be a list of entries (name, workspace, actions)")
    project.formats = upgrade.parse(answers.get("format_upgrades"), len(raw))
    project.format_upgrades = answers["format_upgrades"] if project.formats else []
    upgrade_after = project.formats.get(upgrade.TENANT_ISOLATION)
    counts: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    synced_paths: dict[str, int] = {}
    revisions: dict[str, int] = {}
    found: list[Migration] = []

    def add_upgrades() -> None:
        # One per range, numbered after the entries written in the older format.
        for ws, space in project.workspaces.items():
            counts[ws] = counts.get(ws, 0) + 1
            number = space.kind.range_start + counts[ws]
            found.append(
                Migration(
                    pos,
                    upgrade.NAME,
                    ws,
                    space.kind.prefix,
                    number,
                    upgrade=upgrade.TENANT_ISOLATION,
                )
            )

    pos = 0
    for pos, entry in enumerate(raw):
        if pos == upgrade_after:
            add_upgrades()
        where = f"migrations[{pos}]"
        if not isinstance(entry, Mapping):
            raise SchemaError(where, "an entry must be a mapping with name, workspace, actions")
        # `revision` alone does not make an entry synced: an entry of actions that
        # sync mapped from a whole Alembic revision keeps that revision's id.
        synced = any(k in entry for k in SYNCED_KEYS if k != "revision")
        allowed = (
            {"name", "workspace", "description", "actions", *SYNCED_KEYS}
            if synced
            else {"name", "workspace", "actions", "description", "revision"}
        )
        extra = set(entry) - allowed
        if extra:
            raise SchemaError(
                where,
                f"unknown key(s) {', '.join(sorted(map(str, extra)))}",
                "a synced entry has name, workspace, synced_from, sql (and "
                "revision for python) but no actions"
                if synced
                else "an entry has name, workspace, actions (and description, and "
                "revision for python)",
            )
        name = entry.get("name")
        if (
            not isinstance(name, str)
            or not names.IDENTIFIER.match(name)
            or len(name) > names.MAX_IDENTIFIER_BYTES
        ):
            raise SchemaError(
                where,
                f"migration name {name!r} must be snake_case "
                "(a-z, 0-9, _; starting with a letter; at most "
                f"{names.MAX_IDENTIFIER_BYTES} characters)",
            )
        where = f"migrations[{pos}] '{name}'"
        if name in seen_names:
            raise SchemaError(
                where,
                f"the name is already used by migrations[{seen_names[name]}]",
                "give every migration a unique name",
            )
        seen_names[name] = pos
        ws = entry.get("workspace")
        if ws not in project.workspaces:
            raise SchemaError(
                where,
                f"unknown workspace {ws!r}",
                f"this repo's workspaces are {', '.join(project.workspaces) or 'none'}"
                " (the `languages` answer)",
            )
        if synced:
            sync = synced_fields(entry, pos, where, ws, synced_paths, revisions)
        else:
            sync = {}
            actions = entry.get("actions")
            if not isinstance(actions, list) or not actions:
                raise SchemaError(where, "needs a non-empty list of `actions`")
            if "revision" in entry:
                sync["revision"] = revision_of(entry, pos, where, ws, revisions)
        k = counts.get(ws, 0) + 1
        counts[ws] = k
        kind = project.workspaces[ws].kind
        if k > RANGE_SIZE:
            raise SchemaError(
                where,
                f"the {ws} service range {kind.range_start:05d}-"
                f"{kind.range_start + RANGE_SIZE:05d} is full ({RANGE_SIZE} migrations)",
                "own this entry by another workspace, or squash old migrations into one",
            )
        found.append(Migration(pos, name, ws, kind.prefix, kind.range_start + k, **sync))
    if upgrade_after is not None and upgrade_after == len(raw):
        pos = len(raw)
        add_upgrades()
    found.sort(key=lambda m: m.number)
    return found, raw


SYNCED_KEYS = ("synced_from", "sql", "revision")
REVISION = re.compile(r"[A-Za-z0-9_]+")


def synced_fields(
    entry: Mapping[str, Any],
    pos: int,
    where: str,
    ws: str,
    paths: dict[str, int],
    revisions: dict[str, int],
) -> dict[str, Any]:
    """Validate a synced entry (a hand-written ORM migration copied by `supa-schema sync`)."""
    if "actions" in entry:
        raise SchemaError(
            where,
            "a synced entry (synced_from, sql) cannot also have `actions`",
            "put the actions in a new entry of their own",
        )
    path = entry.get("synced_from")
    parts = path.split("/") if isinstance(path, str) else []
    if (
        not isinstance(path, str)
        or not path.strip()
        or path.startswith("/")
        or "\\" in path
        or any(p in ("", ".", "..") for p in parts)
        or any(c in path for c in "\r\n")
    ):
        raise SchemaError(
            where,
            f"`synced_from` must be the ORM migration's path relative to "
            f"the repo, like apps/typescript/drizzle/0003_add_products.sql; "
            f"got {path!r}",
        )
    if path in paths:
        raise SchemaError(
            where,
            f"{path} is already synced by migrations[{paths[path]}]",
            "each ORM migration is synced once",
        )
    paths[path] = pos
    sql = entry.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise SchemaError(where, "`sql` must be the migration's SQL as a non-empty string")
    out: dict[str, Any] = {"synced_from": path, "sql": sql}
    if "revision" in entry:
        out["revision"] = revision_of(entry, pos, where, ws, revisions)
    return out


def revision_of(
    entry: Mapping[str, Any], pos: int, where: str, ws: str, revisions: dict[str, int]
) -> str:
    """An entry's own Alembic revision id: the one alembic wrote for the migration
    `supa-schema sync` recorded, so a database already at it stays on the chain."""
    revision = entry["revision"]
    if ws != "python":
        raise SchemaError(
            where,
            "`revision` (an Alembic revision id) is only for entries "
            f"of the python workspace, not {ws}",
        )
    if not isinstance(revision, str) or not REVISION.fullmatch(revision):
        raise SchemaError(
            where,
            f"`revision` must be an Alembic revision id (letters, digits, _), got {revision!r}",
        )
    if revision in revisions or re.fullmatch(r"\d{5}", revision):
        other = (
            f"migrations[{revisions[revision]}]"
            if revision in revisions
            else "a generated revision"
        )
        raise SchemaError(where, f"revision '{revision}' is already used by {other}")
    revisions[revision] = pos
    return revision
