"""The interactive `copier copy --trust` asks the documented questions and renders."""

from __future__ import annotations

import sys
import time

import pexpect
import yaml
from support import ROOT

QUESTIONS = [
    ("Project name", "\x15Inter App\r"),  # Ctrl-U clears the default
    ("Workspaces", "\r"),  # keep the default: all three
    ("ORM of the TypeScript", "\r"),
    ("Directory of the TypeScript", "\r"),
    ("ORM of the Python", "\r"),
    ("Directory of the Python", "\x15services/py\r"),
    ("ORM of the Rust", "\r"),
    ("Directory of the Rust", "\r"),
    ("Multi-tenant", "\r"),
    ("schema changelog", "\x1b\r"),  # accept the empty changelog (multiline: Esc, Enter)
]


def test_interactive_copy_asks_each_question_and_renders(tmp_path):
    dst = tmp_path / "inter"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "copier", "copy", "--trust", "--vcs-ref", "HEAD", str(ROOT), str(dst)],
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    for prompt, keys in QUESTIONS:
        child.expect(prompt)
        time.sleep(0.1)
        child.send(keys)
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    assert child.exitstatus == 0
    answers = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "Inter App"
    assert answers["migrations"] == []
    assert answers["languages"] == ["typescript", "python", "rust"]
    assert (dst / "services" / "py" / "src" / "db" / "models" / "base.py").is_file()
    core = (dst / "supabase" / "migrations" / "00001_core_functions.sql").read_text()
    assert "create table public.organizations" in core
