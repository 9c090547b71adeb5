"""Generated files are already formatted as each ecosystem expects, and the
generated repo's workflow passes actionlint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_NAMES, EXAMPLES

ACTIONLINT = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.7"
BIN = Path.home() / ".cache" / "supa-schema" / "bin"


def languages(example: str) -> list[str]:
    return yaml.safe_load((EXAMPLES / f"{example}.yml").read_text()).get("languages") or []


@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if "python" in languages(e)])
def test_python_passes_ruff_format_check_unchanged(example, rendered):
    ws = rendered(example) / "apps" / "python"
    result = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", str(ws)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already formatted" in result.stdout


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """actionlint, built once from the Go module proxy into a cache directory."""
    exe = BIN / "actionlint"
    if not exe.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        subprocess.run([go, "install", ACTIONLINT], check=True, capture_output=True,
                       env={**os.environ, "GOBIN": str(BIN)})
    return exe


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_generated_workflow_passes_actionlint(example, rendered, actionlint):
    repo = rendered(example)
    workflow = repo / ".github" / "workflows" / "database.yml"
    result = subprocess.run([str(actionlint), str(workflow)], cwd=repo, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = workflow.read_text()
    assert "supabase db reset" in text and "supabase test db" in text
    if "python" in languages(example):
        assert "alembic check" in text


def test_generated_makefile_has_the_daily_targets(rendered):
    makefile = (rendered("saas") / "Makefile").read_text()
    for target in ("db-reset:", "test-db:", "generate:", "types:", "check:"):
        assert target in makefile
    assert "\n\tsupabase db reset\n" in makefile


@pytest.mark.parametrize("example", [e for e in EXAMPLE_NAMES if "rust" in languages(e)])
def test_rust_passes_rustfmt_check_unchanged(example, rendered):
    ws = rendered(example) / "apps" / "rust"
    files = sorted(str(p) for p in ws.rglob("*.rs") if "target" not in p.parts)
    result = subprocess.run(["rustfmt", "--check", "--edition", "2021", *files],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(files) > 5
