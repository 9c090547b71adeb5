"""What several test modules share: paths, the real `copier` runs, repo helpers.

Fixtures live in conftest.py; plain helpers live here and are imported by name.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yml"))
# ./dev points this inside the checkout; plain pytest uses the user cache.
CACHE = Path(os.environ.get("SUPA_SCHEMA_CACHE") or Path.home() / ".cache" / "supa-schema")
NODE_CACHE = CACHE / "node"
# One cargo target directory for the whole suite (and across runs): dependencies
# compile once.
CARGO_TARGET = Path(os.environ.get("SUPA_SCHEMA_CARGO_TARGET", CACHE / "cargo-target"))
SQLX_CLI = "0.9.0"  # the sqlx version the generated Cargo.toml pins
# The workspace each crate name was last built from, in this session.
_LAST_BUILT: dict[str, Path] = {}


def own_cargo_build(ws: Path) -> None:
    """Make cargo rebuild ``ws``'s crates if another render of them built last.

    In the shared target directory a crate's artifacts are named without its
    path, and cargo judges a path crate fresh when its files are older than its
    last build. So after a test built a variant of a crate (saas with a renamed
    column, say), a render made earlier in the session would pass for that
    build and run its code. Once per switch of workspace, the sources' times
    are set to now: only these crates rebuild, not their dependencies.
    """
    found = re.search(r'^name = "([^"]+)"', (ws / "Cargo.toml").read_text(), re.MULTILINE)
    assert found, f"{ws / 'Cargo.toml'} names no package"
    name = found[1]
    ws = ws.resolve()
    if _LAST_BUILT.get(name) == ws:
        return
    _LAST_BUILT[name] = ws
    for path in ws.rglob("*"):
        if path.is_file() and "target" not in path.relative_to(ws).parts:
            os.utime(path)


@contextlib.contextmanager
def cache_lock(name: str):
    """Hold an exclusive lock while filling a shared cache directory, so parallel
    test workers (pytest -n) install a tool once instead of racing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def copier_copy(
    answers: dict | Path,
    dst: Path,
    *,
    check: bool = True,
    template: Path = ROOT,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run the real `copier copy` CLI non-interactively into ``dst``."""
    if isinstance(answers, dict):
        data_file = dst.parent / f"{dst.name}.answers.yml"
        data_file.write_text(yaml.safe_dump(answers, sort_keys=False))
    else:
        data_file = answers
    cmd = [
        sys.executable,
        "-m",
        "copier",
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        "--vcs-ref",
        "HEAD",
        "--data-file",
        str(data_file),
        str(template),
        str(dst),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"copier copy failed:\n{result.stdout}\n{result.stderr}")
    return result


def load_example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yml").read_text())


def workspace_dir(repo: Path, language: str) -> Path:
    """A generated repo's workspace of ``language``, as .kodo/config.json places it."""
    config = json.loads((repo / ".kodo" / "config.json").read_text())
    return repo / config["stack"]["workspaces"][language]["path"]


# ---------------------------------------------------------------- evolution

METHOD = '''
    def display_price(self) -> str:
        """A hand-written method kept across updates."""
        return f"{self.price:.2f}"
'''
HELPER = '''

def is_expensive(product: "ProductRead") -> bool:
    """A hand-written helper kept across updates."""
    return product.price > 100
'''


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts
    }


def migration_files(files: dict[str, bytes]) -> dict[str, bytes]:
    return {
        k: v
        for k, v in files.items()
        if k.startswith("supabase/migrations/")
        or "/alembic/versions/" in k
        or "/migrations/" in k
        or "/drizzle/" in k
    }


def assert_fresh_apart_from_edits(
    after: dict[str, bytes], fresh: dict[str, bytes], edited: set[str]
) -> None:
    """``after`` equals a fresh copy except at ``edited``; the model differs by METHOD only."""
    assert sorted(set(after) - edited) == sorted(set(fresh) - edited)
    assert [n for n in set(fresh) - edited if fresh[n] != after[n]] == []
    model = "apps/python/src/db/models/products.py"
    assert after[model].decode().replace(METHOD, "") == fresh[model].decode()


def scaffold(tmp_path: Path, template: Path, entries: int) -> Path:
    """A committed repo rendered from the first ``entries`` entries of the saas example."""
    repo = tmp_path / "repo"
    copier_copy(answers_with(entries), repo, template=template)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "scaffold")
    return repo


def copier_update(repo: Path, answers: dict | Path, tmp_path: Path, *extra: str):
    """The real `copier update` with ``answers`` (or the answers file it names) as data."""
    if isinstance(answers, Path):
        data = answers
    else:
        data = tmp_path / "answers.yml"
        data.write_text(yaml.safe_dump(answers, sort_keys=False))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "update",
            "--trust",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "HEAD",
            *extra,
            "--data-file",
            str(data),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
    )


def answers_with(entries: int) -> dict:
    answers = load_example("saas")
    answers["migrations"] = copy.deepcopy(answers["migrations"][:entries])
    return answers


# The modifications run on the saas example plus one TypeScript entry (00102) whose
# tables no other entry touches, so an entry of any workspace may change them.
EVENTS = {
    "name": "create_events",
    "workspace": "typescript",
    "actions": [
        {"enum": "event_state", "values": ["open", "closed", "archived"]},
        {
            "table": "events",
            "tenant": True,
            "timestamps": True,
            "columns": [
                {"name": "title", "type": "text", "required": True},
                {"name": "estimate", "type": "integer"},
                {"name": "labels", "type": "text[]"},
                {"name": "state", "type": "event_state", "required": True, "default": "archived"},
            ],
            "indexes": [{"columns": ["estimate"]}],
        },
        {
            "table": "notes",
            "tenant": True,
            "columns": [
                {"name": "body", "type": "text"},
                {
                    "name": "event_id",
                    "type": "uuid",
                    "references": "events",
                    "on_delete": "cascade",
                },
            ],
        },
        {
            "table": "tags",
            "tenant": True,
            "columns": [{"name": "title", "type": "text", "required": True}],
        },
        {"relation": "many-to-many", "from": "events", "to": "tags"},
    ],
}


def events_answers() -> dict:
    answers = load_example("saas")
    answers["migrations"].append(copy.deepcopy(EVENTS))
    return answers
