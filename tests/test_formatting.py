"""Generated files are already formatted as each ecosystem expects (the generated
repo's own pre-commit hooks find nothing to change), and the generated repo's
workflow passes actionlint."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import CACHE, EXAMPLE_NAMES, EXAMPLES, cache_lock, copier_copy

ACTIONLINT = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.7"
BIN = CACHE / "bin"


def languages(example: str) -> list[str]:
    return yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()).get("languages") or []


@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if "python" in languages(e)])
def test_python_passes_ruff_format_check_unchanged(example, rendered):
    ws = rendered(example) / "apps" / "python"
    # Run inside the workspace: ruff then formats it by the generated repo's own
    # settings (none: Ruff's defaults), not by this project's [tool.ruff].
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(ws)],
        capture_output=True,
        text=True,
        cwd=ws,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already formatted" in result.stdout


def test_python_of_a_project_without_tables_passes_ruff_format_and_check(tmp_path):
    """No tables yet (the first `copier copy`): the schemas package still formats."""
    answers = {"project_name": "Empty", "languages": ["python"], "multi_tenant": False}
    copier_copy({**answers, "migrations": []}, tmp_path / "repo")
    ws = tmp_path / "repo" / "apps" / "python"
    for args in (["format", "--check"], ["check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, str(ws)], capture_output=True, text=True, cwd=ws
        )
        assert result.returncode == 0, result.stdout + result.stderr


def hook(repo: Path, hook_id: str) -> dict:
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    hooks = [h for r in config["repos"] for h in r["hooks"] if h["id"] == hook_id]
    assert len(hooks) == 1, f"{hook_id} hook in .pre-commit-config.yaml"
    return hooks[0]


def hook_files(repo: Path, spec: dict) -> list[str]:
    """The files pre-commit passes to a hook: those git tracks (not ignored by the
    generated .gitignore) whose path matches the hook's `files` and not its `exclude`."""
    patterns = [
        line.strip()
        for line in (repo / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    ignored_dirs = {p.rstrip("/") for p in patterns if p.endswith("/")}
    ignored_files = [p for p in patterns if not p.endswith("/")]
    suffixes = {".py"} | {".pyi"} if spec.get("types_or") else None
    selected = []
    for root, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in ignored_dirs and d != ".git")
        for name in names:
            rel = (Path(root) / name).relative_to(repo).as_posix()
            if any(fnmatch.fnmatch(name, p) for p in ignored_files):
                continue
            if suffixes and Path(name).suffix not in suffixes:  # types_or: [python, pyi]
                continue
            if re.search(spec.get("files", ""), rel) and not re.search(
                spec.get("exclude", "^$"), rel
            ):
                selected.append(rel)
    return sorted(selected)


@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if "typescript" in languages(e)])
def test_typescript_passes_prettier_check_unchanged(example, rendered, prettier):
    repo = rendered(example)
    spec = hook(repo, "prettier")
    assert spec["entry"].split()[-2:] == ["apps/typescript/node_modules/.bin/prettier", "--check"]
    files = hook_files(repo, spec)
    ws = "apps/typescript/"
    for expected in (
        "src/db/schema.ts",
        "src/types/supabase.ts",
        "drizzle.config.ts",
        "package.json",
        "tsconfig.json",
    ):
        assert ws + expected in files
    result = subprocess.run(
        [str(prettier), "--check", *files], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All matched files use Prettier code style!" in result.stdout


# What each workspace's lint hooks and workflow steps run; clippy (it compiles the
# workspace against a database) is run by the Rust tests.
LINT_HOOKS = {
    "python": ["ruff-check", "ruff-format", "mypy"],
    "typescript": ["tsc", "prettier"],
    "rust": ["rustfmt", "clippy"],
}
INSTALLS = ("pip install", "npm install")


@pytest.fixture
def lint_repo(rendered, node_modules, tmp_path):
    """A copy of a rendered example with the TypeScript workspace's node_modules linked."""

    def get(example: str) -> Path:
        repo = shutil.copytree(rendered(example), tmp_path / example, symlinks=True)
        link = repo / "apps" / "typescript" / "node_modules"
        if link.parent.is_dir() and not link.exists():  # other tests may have linked it
            link.symlink_to(node_modules, target_is_directory=True)
        return repo

    return get


def lint_env(example: str) -> dict[str, str]:
    return {**os.environ, "MYPY_CACHE_DIR": str(CACHE / "mypy" / f"hook-{example}")}


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_each_workspace_lint_hook_runs_clean_as_pre_commit_runs_it(example, lint_repo):
    """Every lint hook of .pre-commit-config.yaml, run as pre-commit runs it (from the repo
    root: its entry, then the matching files unless pass_filenames is false), passes; a
    workspace's hooks are there exactly when the workspace is."""
    repo = lint_repo(example)
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    ids = [h["id"] for r in config["repos"] for h in r["hooks"]]
    assert ids == [i for ws in LINT_HOOKS if ws in languages(example) for i in LINT_HOOKS[ws]]
    ran = []
    for hook_id in ids:
        spec = hook(repo, hook_id)
        assert spec["language"] == "system"
        if hook_id == "clippy":
            assert spec["entry"].endswith("--all-targets -- -D warnings")
            continue
        command = shlex.split(spec["entry"]) + spec.get("args", [])
        if spec.get("pass_filenames", True):
            files = hook_files(repo, spec)
            assert files, hook_id
            command += files
        result = subprocess.run(
            command, cwd=repo, capture_output=True, text=True, env=lint_env(example)
        )
        assert result.returncode == 0, (hook_id, result.stdout + result.stderr)
        ran.append(hook_id)
    if "python" in languages(example):
        assert hook(repo, "mypy")["entry"] == "sh -c 'cd apps/python && exec mypy'"
    assert ran


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_workflow_lint_steps_run_clean_in_each_workspace(example, lint_repo):
    """The workflow's lint steps, line by line in their working directory (installs
    aside: the packages are here already; clippy aside, as above)."""
    repo = lint_repo(example)
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "database.yml").read_text())
    steps = {s["name"]: s for s in workflow["jobs"]["supabase"]["steps"] if "name" in s}
    expected = {
        "python": "Python lint (ruff check, ruff format, mypy --strict)",
        "typescript": "TypeScript lint (tsc --noEmit, prettier)",
        "rust": "Rust lint (rustfmt, clippy -D warnings)",
    }
    assert {n for n in steps if " lint (" in n} == {expected[w] for w in languages(example)}
    lines = []
    for ws in languages(example):
        step = steps[expected[ws]]
        assert step["working-directory"] == f"apps/{ws}"
        for line in step["run"].splitlines():
            if line.startswith(INSTALLS) or line.startswith("cargo clippy"):
                continue
            result = subprocess.run(
                line,
                shell=True,
                cwd=repo / step["working-directory"],
                capture_output=True,
                text=True,
                env=lint_env(example),
            )
            assert result.returncode == 0, (line, result.stdout + result.stderr)
            lines.append(line)
    if "rust" in languages(example):
        assert "cargo clippy --all-targets -- -D warnings" in steps[expected["rust"]]["run"]
    assert lines


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """actionlint, built once from the Go module proxy into a cache directory."""
    exe = BIN / "actionlint"
    with cache_lock("actionlint"):
        if not exe.exists():
            go = shutil.which("go") or "/usr/local/go/bin/go"
            subprocess.run(
                [go, "install", ACTIONLINT],
                check=True,
                capture_output=True,
                env={**os.environ, "GOBIN": str(BIN)},
            )
    return exe


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_generated_workflow_passes_actionlint(example, rendered, actionlint):
    repo = rendered(example)
    workflow = repo / ".github" / "workflows" / "database.yml"
    result = subprocess.run(
        [str(actionlint), str(workflow)], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = workflow.read_text()
    assert "supabase db reset" in text and "supabase test db" in text
    if "python" in languages(example):
        assert "alembic check" in text


def test_generated_makefile_has_the_daily_targets(rendered):
    makefile = (rendered("saas") / "Makefile").read_text()
    for target in ("db-reset:", "test-db:", "generate:", "sync:", "types:", "check:"):
        assert target in makefile
    assert "\n\tsupabase db reset\n" in makefile


@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if "rust" in languages(e)])
def test_rust_passes_rustfmt_check_unchanged(example, rendered):
    ws = rendered(example) / "apps" / "rust"
    files = sorted(str(p) for p in ws.rglob("*.rs") if "target" not in p.parts)
    result = subprocess.run(
        ["rustfmt", "--check", "--edition", "2021", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(files) > 5
