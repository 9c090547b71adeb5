"""Generated files are already formatted as each ecosystem expects (the generated
repo's own pre-commit hooks find nothing to change), and the generated repo's
workflow passes actionlint."""

from __future__ import annotations

import fnmatch
import os
import re
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
    selected = []
    for root, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in ignored_dirs and d != ".git")
        for name in names:
            rel = (Path(root) / name).relative_to(repo).as_posix()
            if any(fnmatch.fnmatch(name, p) for p in ignored_files):
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
    assert spec["entry"].split()[-2:] == ["prettier", "--check"]
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
