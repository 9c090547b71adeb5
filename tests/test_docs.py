"""The documentation builds strictly and its generated parts come from the code."""

from __future__ import annotations

import os
import subprocess
import sys

from support import ROOT

from supa_schema.types import TYPES


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answers = (site / "answers" / "index.html").read_text()
    for name in TYPES:
        if name != "enum":
            assert f"<code>{name}</code>" in answers, name
    assert "extensions.vector(1536)" in answers
    errors = (site / "troubleshooting" / "index.html").read_text()
    assert "is created by" in errors and "runs after" in errors
    assert errors.count("<li>") > 60
    cli = (site / "cli" / "index.html").read_text()
    for command in (
        "new",
        "check",
        "update",
        "table",
        "column",
        "index",
        "relation",
        "enum",
        "generate",
        "sync",
        "types",
    ):
        assert f"<code>supa-schema {command}</code>" in cli, command
    assert "--no-input" in cli and "--data-file" in cli


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block[0].startswith("./dev example")
    assert block[1].startswith("./dev test")
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()
