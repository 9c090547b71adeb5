"""Apply new changelog entries to a generated repo, rendering only what they touch.

Plain ``copier update`` renders the whole project twice (the recorded version
and the new one) and diffs the results, so its cost grows with the project.
When only the changelog grows and the template version stays the same, every
file that does not depend on the new entries renders to the same bytes, so
this module renders just:

- the per-migration files of the new entries;
- the per-table files of tables the entries change (and tables that point at
  them; see ``supa_schema.impact``);
- the aggregate files (one per project, such as ``schema.ts``), new, and old
  unless the repo's copy is unedited (its ``@generated`` line still matches).

Each rendered file is merged into the repo like Copier merges an update:
three ways, with the old rendering as the base, so hand edits are kept. Any
other difference (another template version, other answers) goes through the
real ``copier update``.

Copier renders through its public ``run_update``; the single files through
``copier_api``, the one module that touches Copier's internals.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial, wraps
from pathlib import Path, PurePath
from types import SimpleNamespace
from typing import Any, ParamSpec, TypeVar

import jinja2

from supa_schema import generated
from supa_schema.impact import Impact, impact

from . import copier_api, forked
from .parsed import Store, paused_gc, running_gc
from .parsed import load_yaml as load_yaml  # the commands parse with it

ANSWERS_FILE = ".copier-answers.yml"
CACHE = Path(
    os.environ.get("SUPA_SCHEMA_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "supa-schema"
)
SUFFIX = ".jinja"
PARSED = Store(CACHE / "parsed")  # answers files parsed before
KEEP_PROJECTS = 8  # folded projects kept in the cache (about 1 MB each at 500 tables)

_P = ParamSpec("_P")
_R = TypeVar("_R")


class UpdateError(Exception):
    """A problem the user must fix; nothing has been written."""


def _is_engine(module: str) -> bool:
    return module == "supa_schema" or module.startswith("supa_schema.")


def _keeps_callers_engine(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function``, then give the caller back its own ``supa_schema`` modules.

    Rendering loads the template's Jinja adapter, which imports the engine that
    ships with the rendered template version under the same name, in place of
    the caller's in ``sys.modules``. The caller's engine (the installed package)
    imports some submodules inside functions, which Python looks up in
    ``sys.modules`` on every call: afterwards they must be its own again.
    """

    @wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        saved = {name: module for name, module in sys.modules.items() if _is_engine(name)}
        try:
            with paused_gc():  # folding and rendering make garbage-free object graphs
                return function(*args, **kwargs)
        finally:
            for name in [name for name in sys.modules if _is_engine(name)]:
                del sys.modules[name]
            sys.modules.update(saved)

    return wrapper


@dataclass
class Result:
    """What an update did, for the CLI to report."""

    written: list[str] = field(default_factory=list)  # new or replaced files
    merged: list[str] = field(default_factory=list)  # three-way merged, no conflict
    conflicts: list[str] = field(default_factory=list)  # merged with conflict markers
    kept: list[str] = field(default_factory=list)  # deleted by the user, left deleted
    deleted: list[str] = field(default_factory=list)  # files of dropped or renamed tables
    moved: list[str] = field(default_factory=list)  # edited files of renamed tables, merged
    dropped_edits: list[str] = field(default_factory=list)  # edited files removed
    new_migrations: list[str] = field(default_factory=list)
    fast: bool = True  # False when the real `copier update` ran


def load_answers(repo: Path) -> dict[str, Any]:
    path = repo / ANSWERS_FILE
    if not path.is_file():
        raise UpdateError(
            f"{path} not found: run this inside a repo made by supa-schema (or pass --repo)"
        )
    answers: dict[str, Any] = PARSED.load(path.read_text(), path) or {}
    return answers


def user_answers(recorded: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in recorded.items() if not k.startswith("_")}


def _git(*args: str, cwd: Path | str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def template_at(src_path: str, commit: str, repo: Path | None = None) -> Path | None:
    """A plain directory holding the template at ``commit`` (None if it cannot be had locally).

    Exported once per commit with ``git archive``: a directory without ``.git``
    is used by Copier as is, so nothing is cloned per run.
    """
    src = Path(src_path).expanduser()
    if not src.is_absolute() and repo is not None and (repo / src).is_dir():
        src = repo / src
    if not src.is_dir():
        return None
    sha = _git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}", cwd=src)
    if sha.returncode != 0:
        return None
    sha_text = sha.stdout.decode().strip()
    target = CACHE / "templates" / sha_text
    if target.is_dir():
        return target
    partial = target.with_name(f"{sha_text}.{os.getpid()}.partial")
    partial.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(
        ["git", "archive", "--format=tar", sha_text], cwd=src, stdout=subprocess.PIPE
    )
    with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
        tar.extractall(partial, filter="data")
    if archive.wait() != 0:
        return None
    try:
        partial.rename(target)
    except OSError:  # another process exported it first
        pass
    return target


class Renderer:
    """Renders template files of one template directory for given answers."""

    def __init__(self, template: Path, repo: Path, recorded: dict[str, Any]):
        plain = copier_api.plain_environment(template)
        if plain is not None:
            self.env, self.subdir = plain
        else:
            env, self.subdir = copier_api.template_environment(template, repo)
            self.env = _unsandboxed(env)
        self.template = template
        self.repo = repo
        self.recorded = recorded
        self._strings: dict[str, jinja2.Template] = {}
        self.parsed: tuple[str, dict[str, Any]] | None = None  # the answers file written
        self._digests: dict[int, str] = {}  # id(changelog) -> its project's cache key
        self.hook = _context_module(self.env)
        known = getattr(self.hook, "RECORDED", None)
        if isinstance(known, dict):  # the adapter need not parse the answers file again
            known[str(Path(str(PurePath(repo))) / ANSWERS_FILE)] = recorded
        # The commit: compiled templates never go stale. The code compiled in
        # the two environments names their extensions differently: one each.
        sha = template.name + ("-plain" if plain is not None else "")
        self.env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(_mkdir(CACHE / "jinja" / sha)))

    def context(self, migrations: list[Any]) -> dict[str, Any]:
        """The variables Copier gives templates, for the recorded answers and ``migrations``."""
        answers = {**user_answers(self.recorded), "migrations": migrations}
        conf = {
            "src_path": PurePath(self.template),
            "dst_path": PurePath(self.repo),
            "answers_file": PurePath(ANSWERS_FILE),
            "sep": os.sep,
            "os": {"posix": "linux", "nt": "windows"}.get(os.name, os.name),
            "vcs_ref": self.recorded.get("_commit"),
            "defaults": True,
            "quiet": True,
            "unsafe": True,
        }
        return {
            **answers,
            "_copier_answers": {**self.recorded, "migrations": migrations},
            "_copier_conf": conf,
            "_folder_name": self.repo.name,
            "_copier_python": sys.executable,
        }

    def _string(self, text: str) -> jinja2.Template:
        """``env.from_string(text)``, compiled once per template commit (bytecode cache)."""
        tpl = self._strings.get(text)
        if tpl is None:
            env, cache = self.env, self.env.bytecode_cache
            if cache is None:
                tpl = env.from_string(text)
            else:
                bucket = cache.get_bucket(env, text, None, text)
                if bucket.code is None:
                    bucket.code = env.compile(text)
                    cache.set_bucket(bucket)
                tpl = env.template_class.from_code(env, bucket.code, env.make_globals(None))
            self._strings[text] = tpl
        return tpl

    def sources(self) -> list[str]:
        """Template files (relative to the template root) that Jinja renders."""
        root = self.template / self.subdir
        return sorted(
            p.relative_to(self.template).as_posix() for p in root.rglob(f"*{SUFFIX}") if p.is_file()
        )

    def paths(
        self, source: str, ctx: dict[str, Any], wanted: Impact | None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Destination paths of ``source`` with their extra context (Copier's rules).

        A part rendering to an empty string drops the file; a ``yield`` part
        fans out over its iterable, restricted to the items ``wanted``.
        """
        parts = PurePath(source[: -len(SUFFIX)]).relative_to(self.subdir).parts

        def render(part: str, extra: dict[str, Any]) -> str:
            return self._string(part).render({**ctx, **extra})

        yield from copier_api.expand_path(
            self.env, parts, render, None if wanted is None else wanted.wants
        )

    def render(self, source: str, ctx: dict[str, Any], extra: dict[str, Any]) -> bytes:
        template = self.env.get_template(source)
        return template.render({**ctx, **extra}).encode()

    def project(self, ctx: dict[str, Any]) -> Any:
        """The engine's Project for this context (the template's own engine)."""
        return self.projects([ctx])[0]

    def projects(self, ctxs: list[dict[str, Any]]) -> list[Any]:
        """The engine's Project for each context (the template's own engine).

        Folding a 500-table changelog takes a sixth of a second, and the
        project an update folds for its new changelog is the next update's
        old one: each folded project is kept in the cache (pickled, keyed by
        the template commit and the answers it depends on) and handed to the
        template's own memo, so that its templates get the same object. The
        contexts no cache holds are folded together, shared with a second
        process when the machine has a second core (``forked``).
        """
        hook = self.hook
        keys, memo = getattr(hook, "ANSWER_KEYS", None), getattr(hook, "_cache", None)
        if not isinstance(keys, tuple) or not isinstance(memo, list):
            return [hook.project_for(ctx) for ctx in ctxs]
        todo: dict[str, tuple[dict[str, Any], tuple[Any, ...], Path]] = {}
        for ctx in ctxs:
            values = tuple(ctx.get(k) for k in keys)
            if any(all(a is b for a, b in zip(known, values, strict=True)) for known, _ in memo):
                continue
            # YAML mappings have no order (Copier records the answers with sorted
            # keys): the key is the answers' canonical JSON, so the changelog of a
            # data file and the same changelog read back from the answers file meet.
            canonical = json.dumps(values, sort_keys=True, default=_tagged, separators=(",", ":"))
            key = f"{sys.version}\0{self.template.name}\0{canonical}"
            digest = hashlib.sha256(key.encode()).hexdigest()
            self._digests[id(ctx.get("migrations"))] = digest
            if digest in todo:
                continue
            path = CACHE / "projects" / digest
            try:
                found = pickle.loads(path.read_bytes())
            except Exception:  # noqa: BLE001 - absent, partial or stale: fold instead
                found = None
            if found is not None:
                memo.insert(0, (values, found))
            else:
                todo[digest] = (ctx, values, path)
        jobs = [partial(self._fold, ctx, path) for ctx, _, path in todo.values()]
        for (_, values, _), project in zip(todo.values(), self._run(jobs), strict=True):
            memo.insert(0, (values, project.value if isinstance(project, _Pickled) else project))
        return [hook.project_for(ctx) for ctx in ctxs]

    def _fold(self, ctx: dict[str, Any], path: Path) -> _Pickled:
        """Fold ``ctx``'s changelog and keep the project in the cache at ``path``."""
        # The memo would snapshot (deep-copy) the changelog as well: the CLI
        # never changes it afterwards, so it is folded and memoised by the caller.
        hook = self.hook
        project = hook.ENGINE.build(ctx) if hasattr(hook, "ENGINE") else hook.project_for(ctx)
        data = pickle.dumps(project, protocol=pickle.HIGHEST_PROTOCOL)
        _store(path, data, KEEP_PROJECTS)
        return _Pickled(project, data)

    def files(
        self,
        migrations: list[Any],
        wanted: Impact | None,
        skip: frozenset[str] = frozenset(),
        tables: dict[str, tuple[str, str]] | None = None,
    ) -> dict[str, bytes]:
        """Render every file the changelog ``migrations`` gives, restricted to ``wanted``.

        ``tables``, when given, gets (template source, table name) for each
        per-table file, so that the files of a renamed table can be paired.
        """
        return self.file_sets([(migrations, tables)], wanted, skip)[0]

    def file_sets(
        self,
        sides: list[tuple[list[Any], dict[str, tuple[str, str]] | None]],
        wanted: Impact | None,
        skip: frozenset[str] = frozenset(),
        in_repo: int | None = None,
    ) -> list[dict[str, bytes]]:
        """``files`` for each (changelog, tables) of ``sides``, rendered together.

        ``in_repo`` is the side the repo was rendered from: a file of it whose
        ``@generated`` line still matches (``supa_schema.generated``) is what
        the template rendered, and is read instead of rendered again. What no
        cache holds is rendered by template source, each source's files for
        every side in one job (so a table's block, rendered for the old side,
        is reused for the new one), the jobs shared with a second process when
        the machine has a second core (``forked``).
        """
        outs: list[dict[str, bytes | None]] = []
        stores: list[tuple[Path | None, dict[str, bytes]]] = []
        pending: dict[str, list[tuple[int, str, dict[str, Any], dict[str, Any]]]] = {}
        for side, (migrations, tables) in enumerate(sides):
            ctx = self.context(migrations)
            cached = self._rendered(ctx)
            known: dict[str, bytes] = {}
            if cached is not None:
                try:
                    known = pickle.loads(cached.read_bytes())
                except Exception:  # noqa: BLE001 - absent, partial or stale: render instead
                    known = {}
            out: dict[str, bytes | None] = {}
            for source in self.sources():
                for path, extra in self.paths(source, ctx, wanted):
                    if path in skip:
                        continue
                    out[path] = known.get(path)
                    if out[path] is None and side == in_repo:
                        out[path] = _unedited(self.repo / path)
                    if out[path] is None:
                        pending.setdefault(source, []).append((side, path, ctx, extra))
                    if tables is not None:
                        table = _table_of(extra)
                        if table is not None:
                            tables[path] = (source, table)
            outs.append(out)
            stores.append((cached, known))
        # Files rendered once per project (the aggregates, such as schema.ts) first:
        # they take longest, and each process takes the next job when it is free.
        order = sorted(pending, key=lambda source: "yield" in source)
        jobs = [partial(self._render_all, source, pending[source]) for source in order]
        fresh: set[int] = set()
        for source, bodies in zip(order, self._run(jobs), strict=True):
            for (side, path, _, _), body in zip(pending[source], bodies, strict=True):
                outs[side][path] = stores[side][1][path] = body
                fresh.add(side)
        for side, (cached, known) in enumerate(stores):
            if cached is not None and side in fresh:
                _store(cached, pickle.dumps(known, protocol=pickle.HIGHEST_PROTOCOL), KEEP_PROJECTS)
        return [{path: body for path, body in out.items() if body is not None} for out in outs]

    def _run(self, jobs: Sequence[Callable[[], _R]]) -> list[_R]:
        """The jobs' results, shared with a forked process when the template says its
        extension's state may be forked (``FORK_SAFE``)."""
        if getattr(self.hook, "FORK_SAFE", False) is True:
            return forked.run(jobs)
        return [job() for job in jobs]

    def _render_all(
        self, source: str, items: list[tuple[int, str, dict[str, Any], dict[str, Any]]]
    ) -> list[bytes]:
        return [self.render(source, ctx, extra) for _, _, ctx, extra in items]

    def _rendered(self, ctx: dict[str, Any]) -> Path | None:
        """The cache file of what this context renders to (None for a template without memo).

        An update renders the project-wide files (``schema.ts`` and the like)
        for the recorded changelog and for the new one; the new one's are the
        next update's recorded ones. They are kept, per file, keyed by the
        project's key and everything else in the context.
        """
        digest = self._digests.get(id(ctx.get("migrations")))
        if digest is None:
            return None
        rest = {k: v for k, v in ctx.items() if k not in ("migrations", "_copier_answers")}
        recorded = {k: v for k, v in self.recorded.items() if k != "migrations"}
        key = f"{digest}\0{rest!r}\0{recorded!r}"
        return CACHE / "renders" / hashlib.sha256(key.encode()).hexdigest()

    def answers_file(self, old: list[Any], new: list[Any]) -> bytes:
        """The new answers file: the recorded one with the new entries' YAML spliced in.

        The answers file is one YAML dump of every answer; dumping a
        500-table changelog takes most of a second. Block-style list items
        render the same wherever they sit, so the new entries are dumped alone
        and inserted after the last recorded one (the tests compare the result
        with Copier's own answers file byte for byte); anything unexpected
        renders the whole file instead.
        """
        current = (self.repo / ANSWERS_FILE).read_text()
        lines = current.splitlines(keepends=True)
        start = next((i for i, line in enumerate(lines) if line == "migrations:\n"), None)
        if start is not None and old and new[: len(old)] == old:
            end = next(
                (i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "-"))),
                len(lines),
            )
            added = {"migrations": new[len(old) :]}
            dumped: str = self.env.filters["to_nice_yaml"](added)
            head, _, items = dumped.partition("\n")
            # The splice point is the end of the block that holds the recorded entries.
            reread = load_yaml(dumped) if head == "migrations:" else None
            if reread == added and lines[end - 1].endswith("\n"):
                text = "".join(lines[:end]) + items + "".join(lines[end:])
                # What it parses to is known (keys in the dump's order): the next
                # update reads it from the cache.
                parsed = [*old, *reread["migrations"]]
                self.parsed = (text, {**self.recorded, "migrations": parsed})
                return text.encode()
        source = next(s for s in self.sources() if "answers_file" in s)
        ctx = self.context(new)
        return self.render(source, ctx, {})


def _unedited(path: Path) -> bytes | None:
    """The bytes of ``path`` when its ``@generated`` line says it was not edited."""
    try:
        content = path.read_bytes()
    except OSError:
        return None
    return content if generated.verify(content) else None


class _Pickled:
    """A value with its pickle at hand: pickling it again (to send it from a forked
    process) copies those bytes, and unpickling gives the value itself."""

    def __init__(self, value: Any, data: bytes) -> None:
        self.value, self.data = value, data

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return pickle.loads, (self.data,)


def _table_of(extra: dict[str, Any]) -> str | None:
    """The name of the table a per-table file was rendered for (None for other files)."""
    for item in extra.values():
        if hasattr(item, "columns") and isinstance(getattr(item, "name", None), str):
            name: str = item.name
            return name
    return None


def renderer_for(repo: Path, recorded: dict[str, Any]) -> Renderer | None:
    """A renderer of the template at the commit ``recorded`` names (None if not local)."""
    src, commit = recorded.get("_src_path"), recorded.get("_commit")
    if not src or not commit:
        return None
    template = template_at(str(src), str(commit), repo)
    return None if template is None else Renderer(template, repo, recorded)


@_keeps_callers_engine
def render_models(repo: Path) -> dict[str, bytes]:
    """Every file except migrations, rendered from the repo's recorded answers."""
    recorded = load_answers(repo)
    renderer = renderer_for(repo, recorded)
    if renderer is None:
        raise UpdateError(
            "the template is not available locally at the recorded commit "
            "(_src_path/_commit in .copier-answers.yml): run `copier update`"
        )
    migrations = recorded.get("migrations") or []
    project = renderer.project(renderer.context(migrations))
    return renderer.files(migrations, Impact(frozenset(), frozenset(project.tables)))


@_keeps_callers_engine
def render_file(repo: Path, rel: str) -> bytes | None:
    """``rel`` as the template renders it for the recorded answers (without hand edits).

    None when it cannot be rendered (no local template, no such file, any error).
    """
    try:
        recorded = load_answers(repo)
        renderer = renderer_for(repo, recorded)
        if renderer is None:
            return None
        ctx = renderer.context(recorded.get("migrations") or [])
        for source in renderer.sources():
            for path, extra in renderer.paths(source, ctx, None):
                if path == rel:
                    return renderer.render(source, ctx, extra)
    except Exception:  # noqa: BLE001 - the caller goes on without it
        return None
    return None


def _tagged(value: Any) -> dict[str, str]:
    """A YAML value JSON has no type for (a date), as JSON that no YAML string gives."""
    return {"\0": f"{type(value).__name__}:{value!r}"}


def _store(path: Path, body: bytes, keep: int) -> None:
    """Write a cache file atomically, keeping the ``keep`` newest of its directory."""
    try:
        _mkdir(path.parent)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(body)
        partial.replace(path)
        files = sorted(path.parent.iterdir(), key=lambda p: p.stat().st_mtime)
        for old in files[:-keep]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only cache only costs time
        pass


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _context_module(env: jinja2.Environment) -> Any:
    """The template's extension module whose context hook renders (and caches projects).

    Copier's extension loader executes the module once per listed extension;
    the one to use is the module of the context hook itself. It is the rendered
    template version's own code (and engine), so it is used duck-typed (``Any``).
    """
    for ext in env.extensions.values():
        hook_class: Any = type(ext)
        if hook_class.__name__ == "SupaSchemaContext":
            return SimpleNamespace(**hook_class.hook.__globals__)
    return None


# Settings that decide what a template renders (everything but the sandbox).
_ENV_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "undefined",
    "finalize",
    "autoescape",
    "optimized",
)


def _unsandboxed(sandboxed: jinja2.Environment) -> jinja2.Environment:
    """Copier's environment without the sandbox: same extensions, filters and settings.

    The sandbox checks every attribute access (a third of the render time on
    large schemas); it guards against untrusted templates, and updates run only
    templates the user trusted already (the CLI passes ``unsafe``). The tests
    compare the output with Copier's own renders byte for byte.
    """
    env = jinja2.Environment(
        loader=sandboxed.loader,
        extensions=[type(ext) for ext in sandboxed.extensions.values()],
        **{name: getattr(sandboxed, name) for name in _ENV_SETTINGS},
    )
    env.filters.update(sandboxed.filters)
    env.tests.update(sandboxed.tests)
    env.globals.update(sandboxed.globals)
    return env


def merge(current: bytes, base: bytes, new: bytes, *, theirs: bool = False) -> tuple[bytes, bool]:
    """Three-way merge like Copier's update (``git merge-file``); returns (text, conflicted).

    ``theirs`` resolves each conflict with ``new``'s side (never conflicted then).
    """
    with tempfile.TemporaryDirectory(prefix="supa-schema-merge-") as scratch:
        paths = []
        for label, body in (("current", current), ("base", base), ("new", new)):
            path = Path(scratch, label)
            path.write_bytes(body)
            paths.append(str(path))
        result = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                "-L",
                "before updating",
                "-L",
                "last update",
                "-L",
                "after updating",
                *(["--theirs"] if theirs else []),
                *paths,
            ],
            capture_output=True,
            check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise UpdateError(f"git merge-file failed: {result.stderr.decode().strip()}")
    return result.stdout, result.returncode > 0


def plan_update(
    repo: Path,
    migrations: list[Any],
    recorded: dict[str, Any] | None = None,
) -> tuple[Renderer, list[Any], Impact] | None:
    """Validate and prepare a fast update; None when only the real `copier update` can do it."""
    if recorded is None:
        recorded = load_answers(repo)
    renderer = renderer_for(repo, recorded)
    if renderer is None:
        return None
    hook = renderer.hook
    if hook is None or not hasattr(hook, "project_for"):
        return None  # a template version older than this fast path
    old_migrations = recorded.get("migrations") or []
    engine = hook.ENGINE
    try:
        hook.history.check_append_only(old_migrations, migrations)
        old, new = renderer.projects(
            [renderer.context(old_migrations), renderer.context(migrations)]
        )
    except engine.SchemaError as err:
        raise UpdateError(str(err)) from err
    return renderer, old_migrations, impact(old, new)


@_keeps_callers_engine
def preview(
    repo: Path, migrations: list[Any], recorded: dict[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The ``supabase/migrations`` files the new entries of ``migrations`` would add:
    (path, SQL) in file-name order. Validates like an update; writes nothing."""
    planned = plan_update(repo.resolve(), migrations, recorded)
    if planned is None:
        raise UpdateError(
            "--dry-run needs the template at the commit recorded in .copier-answers.yml "
            "(_src_path, _commit)"
        )
    renderer, _, wanted = planned
    only = Impact(wanted.new_migrations, frozenset())
    ctx = renderer.context(migrations)
    out = []
    for source in renderer.sources():
        if "supabase/migrations/" not in source:
            continue
        for path, extra in renderer.paths(source, ctx, only):
            if PurePath(path).stem in wanted.new_migrations:
                out.append((path, renderer.render(source, ctx, extra).decode()))
    return sorted(out)


@_keeps_callers_engine
def apply_changelog(
    repo: Path,
    migrations: list[Any],
    data_file: Path | None = None,
    *,
    allow_dirty: bool = False,
    recorded: dict[str, Any] | None = None,
) -> Result:
    """Make ``migrations`` (the recorded changelog plus new entries) the repo's changelog.

    Validates everything before writing; renders only what the new entries
    touch; merges each file three ways so hand edits survive. Falls back to
    the real ``copier update`` when the template cannot be had at the recorded
    commit. ``data_file``, when given, gets the same changelog (comments kept).
    """
    repo = repo.resolve()
    # git status runs while the update is planned; its verdict comes first.
    status = None
    if not allow_dirty:
        status = subprocess.Popen(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    try:
        planned = plan_update(repo, migrations, recorded)
    finally:
        if status is not None:
            changes = status.communicate()[0]
            if status.returncode == 0 and changes.strip():
                raise UpdateError(
                    f"{repo} has uncommitted changes: commit or stash them first, "
                    "so the update can be reviewed (or pass --allow-dirty)"
                )
    if planned is None:
        return copier_update(repo, {"migrations": migrations}, data_file)
    renderer, old_migrations, wanted = planned
    result = Result(new_migrations=sorted(wanted.new_migrations))
    skip = frozenset({ANSWERS_FILE})
    old_tables: dict[str, tuple[str, str]] = {}
    new_tables: dict[str, tuple[str, str]] = {}
    old_files, new_files = renderer.file_sets(
        [(old_migrations, old_tables), (migrations, new_tables)], wanted, skip, in_repo=0
    )
    writes: dict[Path, bytes] = {}
    deletes: list[Path] = []
    # A renamed table's file that holds edits moves to the new name with them
    # (merged there); any other file the new changelog no longer has is
    # removed, like Copier removes it (edited or not: git keeps the edits).
    by_table = {key: rel for rel, key in new_tables.items()}
    moved_to = {  # new path -> old path, for the files of renamed tables
        by_table[(source, wanted.renamed[table])]: rel
        for rel, (source, table) in old_tables.items()
        if table in wanted.renamed and (source, wanted.renamed[table]) in by_table
    }
    for rel in sorted(set(old_files) - set(new_files)):
        target = repo / rel
        if not target.is_file():
            continue
        deletes.append(target)
        if target.read_bytes() == old_files[rel]:
            result.deleted.append(rel)
        elif rel in moved_to.values():
            result.moved.append(rel)
        else:
            result.dropped_edits.append(rel)
    if old_migrations != migrations:  # Copier rewrites its answers file; never merged
        writes[repo / ANSWERS_FILE] = renderer.answers_file(old_migrations, migrations)
        result.written.append(ANSWERS_FILE)
    for rel in sorted(new_files):
        new, base = new_files[rel], old_files.get(rel)
        if new == base:
            continue
        target = repo / rel
        current = target.read_bytes() if target.is_file() else None
        origin = moved_to.get(rel)
        if current is None and origin is not None and origin in result.moved:
            # The renamed table's old file, edited: its edits move here.
            current, base = (repo / origin).read_bytes(), old_files[origin]
        if current is None:
            if base is not None:
                result.kept.append(rel)  # the user deleted it; keep it deleted
                continue
            writes[target] = new
            result.written.append(rel)
        elif current == new:
            continue
        elif base is not None and current == base:
            writes[target] = new
            result.written.append(rel)
        else:
            merged, conflicted = merge(current, base or b"", new)
            writes[target] = merged
            (result.conflicts if conflicted else result.merged).append(rel)
    if data_file is not None:
        data_text = _data_file_text(data_file, migrations)
    for target, body in writes.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    for target in deletes:
        target.unlink()
        _remove_empty_parents(target.parent, repo)
    if data_file is not None:
        data_file.write_text(data_text)
    if renderer.parsed is not None:
        PARSED.remember(*renderer.parsed, repo / ANSWERS_FILE)
    return result


def _remove_empty_parents(directory: Path, repo: Path) -> None:
    """Remove ``directory`` and its parents up to ``repo`` while they are empty (as Copier does)."""
    while directory != repo and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _data_file_text(path: Path, migrations: list[Any]) -> str:
    """The user's answers file with its changelog replaced, comments and order kept."""
    from io import StringIO

    from ruamel.yaml import YAML

    rt = YAML()
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=4, offset=2)
    data = rt.load(path.read_text()) if path.is_file() else None
    if data is None:
        data = {}
    existing = data.get("migrations") or []
    if list(existing) == migrations[: len(existing)]:
        # Keep the user's own nodes (and their comments) for the entries already there.
        for entry in migrations[len(existing) :]:
            existing.append(entry)
        data["migrations"] = existing
    else:
        data["migrations"] = migrations
    out = StringIO()
    rt.dump(data, out)
    return out.getvalue()


@_keeps_callers_engine
@_keeps_callers_engine
def carry_renamed_edits(repo: Path) -> list[str]:
    """After a plain ``copier update``: the hand edits of a renamed table's files move
    into the files of its new name (Copier deletes the old file, edits and all, and
    writes the new one as the template renders it). Returns the files merged into.

    The edits are the committed old file against the template's render of it at the
    recorded (pre-update) commit; they are merged three ways into the new file,
    like ``apply_changelog`` does. A no-op outside a git repo or without renames.
    """
    repo = repo.resolve()
    head = _git("show", f"HEAD:{ANSWERS_FILE}", cwd=repo)
    if head.returncode != 0:
        return []
    recorded = load_yaml(head.stdout.decode())
    if not isinstance(recorded, dict):
        return []
    migrations = load_answers(repo).get("migrations") or []
    try:
        planned = plan_update(repo, migrations, recorded)
    except UpdateError:
        return []
    if planned is None or not planned[2].renamed:
        return []
    renderer, old_migrations, wanted = planned
    skip = frozenset({ANSWERS_FILE})
    old_tables: dict[str, tuple[str, str]] = {}
    new_tables: dict[str, tuple[str, str]] = {}
    old_files, _ = renderer.file_sets(
        [(old_migrations, old_tables), (migrations, new_tables)], wanted, skip
    )
    by_table = {key: rel for rel, key in new_tables.items()}
    carried = []
    for rel, (source, table) in sorted(old_tables.items()):
        new_rel = by_table.get((source, wanted.renamed.get(table, "")))
        target = repo / new_rel if new_rel else None
        # Copier runs tasks before it removes the old files: read the committed one.
        if target is None or not target.is_file():
            continue
        shown = _git("show", f"HEAD:{rel}", cwd=repo)
        if shown.returncode != 0 or shown.stdout == old_files[rel]:
            continue  # not committed, or not edited
        merged, _ = merge(shown.stdout, old_files[rel], target.read_bytes())
        target.write_bytes(merged)
        carried.append(str(new_rel))
    return carried


def copier_update(repo: Path, data: dict[str, Any], data_file: Path | None = None) -> Result:
    """The real `copier update` (other answers, another template version, no local template)."""
    from copier import run_update

    before = _git("status", "--porcelain", cwd=repo).stdout
    with running_gc():  # Copier renders the whole project twice: collect as it goes
        run_update(
            str(repo),
            data=data,
            defaults=True,
            overwrite=True,
            unsafe=True,
            quiet=True,
            conflict="inline",
        )
    migrations = data.get("migrations") or []
    if data_file is not None:
        data_file.write_text(_data_file_text(data_file, migrations))
    after = _git("status", "--porcelain", cwd=repo).stdout
    changed = sorted(
        {line[3:] for line in after.decode().splitlines()}
        - {line[3:] for line in before.decode().splitlines()}
    )
    return Result(written=changed, fast=False)
