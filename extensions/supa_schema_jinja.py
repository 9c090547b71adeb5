"""Jinja adapter: exposes the schema engine to the Copier templates.

Loaded by copier-template-extensions from ``copier.yml``. It adds:

- ``supa`` to every template's context: the ``Project`` built from the answers
  (computed once per distinct answers, so rendering hundreds of files folds the
  changelog once);
- ``supa_validate(...)``, used by the ``migrations`` question's validator so bad
  answers stop Copier before any file is written;
- quoting filters for each target language;
- layout helpers that break generated lines as each formatter would: ``py_*``
  (``pylayout``, Ruff), ``ts_*`` (``tslayout``, Prettier) and ``rs_*``
  (``rslayout``, rustfmt).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import os
import sqlite3
import sys
from pathlib import Path
from types import MethodType
from typing import Any

from jinja2 import Environment, nodes, pass_context
from jinja2.ext import Extension

_HERE = Path(__file__).resolve().parent


def _engine():
    """Import the engine that ships beside this file.

    ``copier update`` renders two template versions in one process; each must
    use its own engine, never one cached from the other version.
    """
    current = sys.modules.get("supa_schema")
    if current is not None and Path(current.__file__ or "").resolve().parent.parent != _HERE:
        if _same_code(Path(current.__file__ or "").resolve().parent, _HERE / "supa_schema"):
            return current
        for name in [n for n in sys.modules if n == "supa_schema" or n.startswith("supa_schema.")]:
            del sys.modules[name]
    if str(_HERE) not in sys.path or sys.path[0] != str(_HERE):
        sys.path.insert(0, str(_HERE))
    try:
        return importlib.import_module("supa_schema")
    finally:
        sys.path.remove(str(_HERE))


def _same_code(one: Path, other: Path) -> bool:
    """Whether two engine packages hold the same source files, byte for byte.

    The CLI has imported its own engine before it renders; when the template
    ships the same code (the usual case: CLI and template of one release), the
    template reuses it rather than importing a second copy, which costs a
    twentieth of a second per run. Reading the files is far cheaper.
    """

    def sources(root: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(root)): path.read_bytes()
            for path in root.rglob("*.py")
            if "__pycache__" not in path.parts
        }

    try:
        mine = sources(other)
        return bool(mine) and sources(one) == mine
    except OSError:
        return False


ENGINE = _engine()
from supa_schema import (  # noqa: E402  (imported above)
    generated,
    history,
    literals,
    names,
    pylayout,
    rslayout,
    samples,
    tslayout,
    upgrade,
)

ANSWER_KEYS = (
    "project_name",
    "languages",
    "multi_tenant",
    "migrations",
    "typescript_orm",
    "python_orm",
    "rust_orm",
    "typescript_path",
    "python_path",
    "rust_path",
    "format_upgrades",
)
# (answers values, Project) pairs. Copier builds a context per file, so a lookup
# must be cheap: identity first, then structural equality (C-speed), never a
# serialisation of the whole changelog.
_cache: list[tuple[tuple, Any]] = []


def project_for(answers: dict[str, Any]):
    """The engine's Project for these answers (memoised)."""
    detected = _format_upgrades(answers)
    if detected:
        answers = {**answers, "format_upgrades": detected}
    values = tuple(answers.get(k) for k in ANSWER_KEYS)
    for known, project in _cache:
        if all(a is b for a, b in zip(known, values, strict=True)):
            return project
    for index, (known, project) in enumerate(_cache):
        if known == values:
            _cache[index] = (values, project)  # keep the caller's objects for `is`
            return project
    project = ENGINE.build(answers)
    # Snapshot: the caller may mutate its lists later (interactive answers).
    _cache.insert(0, (copy.deepcopy(values), project))
    del _cache[8:]
    return project


# The migration format a template version writes is in this file of its tree; the
# versions before the file existed wrote format 2 if they had tenant isolation
# (the first version with it added the second file), format 1 otherwise.
FORMAT_FILE = "migration-format"
FORMAT_2_MARKER = (
    "template/supabase/tests/{% if supa.multi_tenant %}organizations_rls.test.sql{% endif %}.jinja"
)
_detected: dict[tuple[str, str], list | None] = {}


def _format_upgrades(answers: dict[str, Any]) -> list | None:
    """``format_upgrades`` for a ``copier update`` of a repo made by a version that
    wrote an older migration format (None otherwise).

    The destination's answers file, as it was before this update, names the
    version the repo was made with (``_commit``); the template's own history says
    whether that version predates the format. The entries it records were
    written in the older format. Computed once per destination: Copier rewrites
    the answers file while it renders.
    """
    conf = answers.get("_copier_conf") or {}
    src = conf.get("src_path") if conf else None
    if not src or not conf.get("dst_path"):
        return None
    key = (str(src), str(conf.get("dst_path")))
    if key not in _detected:
        _detected[key] = None
        recorded = _recorded_answers(answers) or {}
        commit = recorded.get("_commit")
        before = _format_at(src, str(commit)) if commit else None
        if before is not None:
            known = list(recorded.get("format_upgrades") or [])
            listed = {u.get("format") for u in known if isinstance(u, dict)}
            after = len(recorded.get("migrations") or [])
            newer = [f for f in upgrade.FORMATS if f > before and f not in listed]
            if newer:
                _detected[key] = known + [{"format": f, "after": after} for f in newer]
    return _detected[key]


def _format_at(src: Any, commit: str) -> int | None:
    """The migration format the template wrote at ``commit`` (None: not in its history)."""
    if not _git(src, "cat-file", "-e", f"{commit}^{{commit}}"):
        return None
    import subprocess

    shown = subprocess.run(
        ["git", "show", f"{commit}:{FORMAT_FILE}"], cwd=str(src), capture_output=True, text=True
    )
    if shown.returncode == 0 and shown.stdout.strip().isdigit():
        return int(shown.stdout.strip())
    return 2 if _git(src, "cat-file", "-e", f"{commit}:{FORMAT_2_MARKER}") else 1


def _git(cwd: Any, *args: str) -> bool:
    import subprocess

    done = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, check=False)
    return done.returncode == 0


@pass_context
def supa_validate(context) -> str:
    """Validate all answers before Copier renders anything.

    Returns the engine's message (which names the entry) for bad answers:
    interactive Copier shows it and asks again; with --defaults Copier stops
    with "Validation error for question 'migrations'" before writing a file.
    """
    answers = context.get_all()
    try:
        project_for(answers)
        recorded = _recorded_migrations(answers)
        if recorded is not None:
            history.check_append_only(recorded, answers.get("migrations") or [])
    except ENGINE.SchemaError as err:
        return f"supa-schema: {err}"
    return ""


def _recorded_migrations(answers: dict[str, Any]):
    """The changelog recorded in the destination's answers file (None on a first copy)."""
    recorded = _recorded_answers(answers)
    return None if recorded is None else recorded.get("migrations") or []


# Answers files their caller has parsed already, by path: the CLI's fast update
# has the destination's (from its cache) and passes it instead of a second parse.
RECORDED: dict[str, dict[str, Any]] = {}


def _recorded_answers(answers: dict[str, Any]) -> dict[str, Any] | None:
    """The destination's answers file (None on a first copy)."""
    conf = answers.get("_copier_conf") or {}
    dst, name = conf.get("dst_path"), conf.get("answers_file") or ".copier-answers.yml"
    if not dst:
        return None
    path = Path(str(dst)) / str(name)
    if str(path) in RECORDED:
        return RECORDED[str(path)]
    if not path.is_file():
        return None
    import yaml

    # libyaml when available: a 500-table changelog loads in 0.1 s instead of 1 s.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    recorded = yaml.load(path.read_text(), Loader=loader) or {}
    return recorded if isinstance(recorded, dict) else {}


class TemplateProject:
    """The engine's Project as templates see it, plus what only templates need.

    Workspace folders ('' when a workspace has no ORM, so Copier skips the
    folder), ``.kodo/config.json``, and the pgTAP fixtures are presentation:
    they live here, not in the engine. Everything else is the Project's own.
    """

    def __init__(self, project: Any = None, answers: dict[str, Any] | None = None) -> None:
        self._project = project
        self._answers = answers

    @property
    def project(self) -> Any:
        """The Project, folded on first use (for ``answers`` when given instead of it)."""
        if self._project is None:
            self._project = project_for(self._answers or {})
        return self._project

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy and pickle probe these before __init__ ran
            raise AttributeError(name)
        return getattr(self.project, name)

    def _dir(self, language: str) -> str:
        return self.project.workspaces[language].path if self.project.has(language) else ""

    @property
    def typescript_dir(self) -> str:
        """The workspace directory when it has its ORM, else '' (Copier skips empty names)."""
        return self._dir("typescript")

    @property
    def python_dir(self) -> str:
        return self._dir("python")

    @property
    def rust_dir(self) -> str:
        return self._dir("rust")

    @property
    def kodo_config(self) -> dict[str, Any]:
        """``.kodo/config.json`` in the kodo command's format, plus each workspace's ``path``."""
        out: dict[str, Any] = {}
        for ws in self.project.workspaces.values():
            start, end = ws.range
            out[ws.name] = {
                "language": ws.language,
                "path": ws.path,
                "database": {
                    "orm": (
                        {"name": ws.orm, "schemaPath": ws.kind.schema_path} if ws.orm else None
                    ),
                    "migrationStrategy": {
                        "type": "hybrid",
                        "prefix": ws.kind.prefix,
                        "serviceRange": {"start": start, "end": end},
                    },
                },
            }
        return {
            "project": {"name": self.project.name, "multiTenant": self.project.multi_tenant},
            "stack": {"workspaces": out},
            "supabase": {"migrationsPath": "supabase/migrations"},
        }

    @property
    def kodo_config_json(self) -> str:
        return json.dumps(self.kodo_config, indent=2) + "\n"

    def fixture(
        self,
        table: Any,
        tag: str,
        org: str | None = None,
        user: str | None = None,
        parents: str | None = None,
    ) -> list[Any]:
        """Rows (parents first) giving ``table`` one row in test organization ``org``.

        ``org``/``user`` name test sides ("a", "b"); with ``parents`` only the
        table's own row is returned, pointing at that side's parent rows.
        """
        return samples.fixture_rows(
            table,
            self.project.tables,
            org=samples.fixed_uuid("org", org or tag),
            user=samples.fixed_uuid("user", user or tag),
            tag=tag,
            parents=parents,
        )

    @staticmethod
    def fixed_uuid(*parts: str) -> str:
        """A UUID that depends only on ``parts`` (deterministic test ids)."""
        return samples.fixed_uuid(*parts)

    @staticmethod
    def sample(table: Any, tag: str) -> tuple[str, str] | None:
        """(column, SQL literal) of a data column a test can set on ``table``, if any."""
        column = samples.editable_column(table)
        return (column.name, samples.sample_sql(column, tag)) if column else None


class SupaSchemaContext(Extension):
    """Puts ``supa`` (the engine's Project, as a TemplateProject) into every template's context.

    It hooks the context the way copier-template-extensions' ``ContextHook``
    does (for contexts Copier builds, those with ``_copier_conf``), without
    importing it: that package imports Copier, which takes a third of a
    second, and the CLI renders its fast updates with this module and no
    Copier.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        hook = self.hook

        class ContextClass(environment.context_class):  # type: ignore[name-defined,misc]
            def __init__(self, env, parent, name, blocks, globals=None):  # noqa: A002
                if "_copier_conf" in parent:
                    hook(parent)
                super().__init__(env, parent, name, blocks, globals)

        environment.context_class = ContextClass

    def hook(self, context: dict[str, Any]) -> None:
        # Copier builds a context for every string it renders, also for each
        # question's default, ``when`` and validator while answers are still
        # coming in: the project is folded only when a template reads ``supa``
        # (a file or a path), not for every partial set of answers. Until the
        # answers are complete and valid, reading it fails; the `migrations`
        # validator reports the problem before anything is rendered.
        if "migrations" in context and "languages" in context:
            context["supa"] = TemplateProject(answers=context)


def _js_number(value: Any) -> str:
    """A number as JavaScript's ``String(n)`` prints the nearest double."""
    import decimal

    f = float(value)
    if f == 0:
        return "0"
    _, digits, exp = decimal.Decimal(repr(abs(f))).normalize().as_tuple()
    text, n = "".join(map(str, digits)), len(digits) + int(exp)  # 0.<text> x 10^n
    k = len(text)
    if k <= n <= 21:
        out = text + "0" * (n - k)
    elif 0 < n <= 21:
        out = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * -n + text
    else:
        out = text[0] + ("." + text[1:] if k > 1 else "") + f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return ("-" if f < 0 else "") + out


def _js_json(value: Any) -> str:
    """``JSON.stringify(JSON.parse(t))`` for the text ``t`` PostgreSQL prints for ``value``
    as jsonb: keys in jsonb's order (shorter first, then by bytes), except that a
    JavaScript object lists integer-like keys first, in numeric order."""
    import json

    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        index = [
            k for k in keys if k.isdigit() and (k == "0" or k[0] != "0") and int(k) < 2**32 - 1
        ]
        keys = sorted(index, key=int) + [k for k in keys if k not in index]
        return "{" + ",".join(f"{_js_json(k)}:{_js_json(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_js_json(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return _js_number(value)


def drizzle_literal(value: Any, base: str) -> str:
    """A literal default as drizzle-kit reads it back from PostgreSQL (in UTC, as
    Supabase runs), so schema.ts can spell it the way ``drizzle-kit push`` compares:
    timestamptz/date/time as PostgreSQL prints them, jsonb as compact JSON in
    jsonb's key order, real/double as JavaScript prints the number (Prettier's
    exponent form)."""
    import datetime

    if base == "timestamptz":
        t = datetime.datetime.fromisoformat(str(value))
        t = (t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)).astimezone(
            datetime.timezone.utc
        )
        frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
        return f"{t.year:04d}-{t:%m-%d %H:%M:%S}{frac}+00"
    if base == "date":
        return datetime.date.fromisoformat(str(value)).isoformat()
    if base == "time":
        clock = datetime.time.fromisoformat(str(value))
        frac = f".{clock.microsecond:06d}".rstrip("0") if clock.microsecond else ""
        return f"{clock:%H:%M:%S}{frac}"
    if base == "jsonb":
        return _js_json(value)
    if base in ("real", "double"):
        return _js_number(value).replace("e+", "e")
    return str(value)


class SupaSchemaFilters(Extension):
    """Quoting filters, layout helpers, the validator function, and the ``memo`` tag.

    ``{% memo t %}...{% endmemo %}`` renders its body once per distinct table
    ``t`` (by value) and template position, per environment. Project-wide files
    repeat one block per table; an incremental update renders such a file for
    the old and the new changelog in one environment, and the unchanged
    tables' blocks are then rendered once. The body may read other tables only
    by name (names never change).
    """

    tags = {"memo"}  # noqa: RUF012  (Jinja's API)

    def __init__(self, environment):
        super().__init__(environment)
        _compile_once(environment)
        _trust(environment)
        self._memo: dict[tuple[str, str], str] = {}
        self._keys: dict[int, tuple[Any, str]] = {}
        environment.filters.update(
            signed=generated.sign,
            sql_string=literals.sql_string,
            py_string=literals.py_string,
            py_block=literals.py_block,
            sa_text=literals.sa_text,
            py_name=names.python_name,
            camel=names.camel,
            ts_string=literals.ts_string,
            ts_template=literals.ts_template,
            ts_quote=tslayout.quote,
            rust_string=literals.rust_string,
            rust_raw=literals.rust_raw,
            drizzle_literal=drizzle_literal,
        )
        environment.globals.update(
            supa_validate=supa_validate,
            py_call=pylayout.call,
            py_kw=pylayout.kw,
            py_layout=pylayout.layout,
            py_tuple=pylayout.layout_tuple,
            py_import=pylayout.import_from,
            py_return=pylayout.returning,
            py_imports=pylayout.imports_from,
            py_parse=pylayout.parse,
            ts_call=tslayout.call,
            ts_array=tslayout.array,
            ts_object=tslayout.obj,
            ts_arrow=tslayout.arrow,
            ts_layout=tslayout.layout,
            ts_assign=tslayout.assign,
            ts_union=tslayout.union,
            ts_chain=tslayout.chain,
            ts_import=tslayout.import_from,
            rs_struct=rslayout.struct_literal,
            rs_call=rslayout.call,
            rs_use=rslayout.use_list,
            rs_assign=rslayout.assign,
            rs_assign_call=rslayout.assign_call,
        )

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        where = nodes.Const(f"{parser.name}:{lineno}")
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endmemo",), drop_needle=True)
        return nodes.CallBlock(
            self.call_method("_render_memo", [where, key]), [], [], body, lineno=lineno
        )

    def _render_memo(self, where: str, value: Any, caller) -> str:
        known = self._keys.get(id(value))
        if known is None or known[0] is not value:
            known = self._keys[id(value)] = (value, repr(value))
        key = (where, known[1])
        body = self._memo.get(key)
        if body is None:
            digest = hashlib.sha256(
                f"{_template_digest()}\0{where}\0{known[1]}".encode()
            ).hexdigest()
            body = _FRAGMENTS.get(digest)
            if body is None:
                body = caller()
                _FRAGMENTS.put(digest, body)
            self._memo[key] = body
        return body


def _trust(environment: Environment) -> None:
    """Render without the sandbox's per-access checks.

    Copier renders in a Jinja sandbox, which checks every attribute access and
    call a template makes: at 500 tables that is over a million checks, a
    third of the render. The sandbox keeps a template's own expressions from
    reaching Python internals; this template runs its own Python already
    (these extensions, its tasks), which is why Copier asks for ``--trust``
    before using it, and answers are data that are never rendered as
    templates. So the checks protect nothing here, and this environment does
    attribute access and calls the way a plain Jinja environment does (the
    output is the same: these templates never touch what the sandbox refuses).
    """
    if not environment.sandboxed:
        return
    environment.sandboxed = False  # compiled calls go straight to the context
    environment.getattr = MethodType(Environment.getattr, environment)  # type: ignore[method-assign]
    environment.getitem = MethodType(Environment.getitem, environment)  # type: ignore[method-assign]


def _compile_once(environment: Environment) -> None:
    """Compile each distinct template string once per environment.

    Copier compiles a file's templated path anew for every file it renders
    (``from_string``), though a per-table path is the same string for all
    tables: at 500 tables that is about 4,800 compilations, the largest share
    of a copy after the rendering itself. The compiled code depends only on
    the source and the environment, so it is kept here by source. The
    extensions' ``preprocess`` still runs for every string: Copier's ``yield``
    tag resets its state there.
    """
    plain = environment.compile
    codes: dict[tuple[str, bool, bool], Any] = {}

    def compile(source, name=None, filename=None, raw=False, defer_init=False):  # noqa: A001
        if name is not None or filename is not None or not isinstance(source, str):
            return plain(source, name, filename, raw, defer_init)
        key = (source, raw, defer_init)
        code = codes.get(key)
        if code is None:
            code = codes[key] = plain(source, name, filename, raw, defer_init)
        else:
            environment.preprocess(source, name, filename)
        return code

    environment.compile = compile  # type: ignore[method-assign]


class _FragmentStore:
    """Rendered ``memo`` blocks on disk, by digest of (template sources, block, table).

    A later render of the same table with the same template (the old side of
    an update, or the next project) reads the block instead of rendering it.
    The key holds everything the block depends on, so an entry never goes
    stale; any failure (read-only home, locked file) just turns the store off.
    Set ``SUPA_SCHEMA_FRAGMENT_CACHE=0`` to disable it.
    """

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self._off = os.environ.get("SUPA_SCHEMA_FRAGMENT_CACHE", "1") == "0"

    def _conn(self):
        if self._db is None and not self._off:
            try:
                home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                path = home / "supa-schema" / "fragments.sqlite3"
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.exists() and path.stat().st_size > _STORE_LIMIT:
                    path.unlink()  # a cache: start afresh rather than grow without bound
                db = sqlite3.connect(path, isolation_level=None, timeout=5)
                db.execute("pragma journal_mode=wal")
                db.execute("pragma synchronous=off")
                db.execute(
                    "create table if not exists fragment "
                    "(digest text primary key, body text not null)"
                )
                self._db = db
            except Exception:  # noqa: BLE001 - a cache must never break a render
                self._off = True
        return self._db

    def get(self, digest: str) -> str | None:
        db = self._conn()
        if db is None:
            return None
        try:
            row = db.execute("select body from fragment where digest = ?", (digest,)).fetchone()
        except Exception:  # noqa: BLE001
            self._off, self._db = True, None
            return None
        return row[0] if row else None

    def forget_after_fork(self) -> None:
        """In a forked child: open a connection of its own when needed (an SQLite
        connection must not cross a fork). The inherited one is kept, never used
        nor closed, so that closing it cannot touch the parent's database."""
        if self._db is not None:
            _INHERITED.append(self._db)
            self._db = None

    def put(self, digest: str, body: str) -> None:
        db = self._conn()
        if db is None:
            return
        try:
            db.execute("insert or ignore into fragment values (?, ?)", (digest, body))
        except Exception:  # noqa: BLE001
            self._off, self._db = True, None


_STORE_LIMIT = 512 * 2**20  # bytes
_FRAGMENTS = _FragmentStore()
_INHERITED: list[sqlite3.Connection] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_FRAGMENTS.forget_after_fork)
# The CLI may share an update's renders with a forked child: this module's
# state is safe to fork (see forget_after_fork).
FORK_SAFE = True
_DIGEST: list[str] = []


def _template_digest() -> str:
    """A digest of every file that can shape a rendered block (templates, macros, engine)."""
    if not _DIGEST:
        import jinja2

        root = _HERE.parent
        digest = hashlib.sha256(f"jinja2 {jinja2.__version__}\0".encode())
        for folder in ("template", "macros", "extensions"):
            for path in sorted((root / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                    digest.update(path.read_bytes() + b"\0")
        _DIGEST.append(digest.hexdigest())
    return _DIGEST[0]
