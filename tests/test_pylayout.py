"""Python layout helpers: output is what Ruff's formatter and isort would write."""

from __future__ import annotations

import subprocess
import sys

from supa_schema import pylayout


def ruff_agrees(code: str, tmp_path) -> None:
    path = tmp_path / "m.py"
    path.write_text(code)
    for cmd in (["format", "--diff"], ["check", "--select", "I", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *cmd, str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_parse_splits_calls_and_subscripts_at_top_level_commas():
    alias = pylayout.parse("Annotated[decimal.Decimal, Field(max_digits=12, decimal_places=2)]")
    assert alias == pylayout.Call(
        "Annotated",
        ("decimal.Decimal", pylayout.Call("Field", ("max_digits=12", "decimal_places=2"))),
        "[]",
    )
    assert pylayout.parse("a(b) | c(d)") == "a(b) | c(d)"
    assert pylayout.parse("str") == "str"


def test_long_subscripts_break_as_ruff_breaks_them(tmp_path):
    wide = "Annotated[decimal.Decimal, Field(max_digits=1000, decimal_places=1000)]"
    wider = "Annotated[FloatVector, Field(min_length=123456789012345, max_length=123456789012345)]"
    code = "\n".join(
        pylayout.layout(name + " = ", pylayout.parse(d), 0)
        for name, d in (("Numeric_1000_1000", wide), ("FloatVector_123456789012345", wider))
    )
    assert code.startswith("Numeric_1000_1000 = Annotated[\n    decimal.Decimal, Field(")
    ruff_agrees(
        "import decimal\nfrom typing import Annotated\n\nfrom pydantic import Field\n\n"
        "FloatVector = list[float]\n" + code + "\n",
        tmp_path,
    )


def test_imports_are_in_isort_order(tmp_path):
    block = pylayout.imports_from(
        [
            (".t10", ["T10"]),
            (".organizations", ["Organization"]),
            (".base", ["TimestampMixin", "Base"]),
            (".organization_members", ["OrganizationMember"]),
            (".t2", ["T2"]),
            (".base", ["SoftDeleteMixin"]),
        ]
    )
    assert block.splitlines() == [
        "from .base import Base, SoftDeleteMixin, TimestampMixin",
        "from .organization_members import OrganizationMember",
        "from .organizations import Organization",
        "from .t2 import T2",
        "from .t10 import T10",
    ]
    typing = pylayout.import_from("typing", ["Any", "TYPE_CHECKING", "Annotated"])
    assert typing == "from typing import TYPE_CHECKING, Annotated, Any"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("__init__", "base", "organization_members", "organizations", "t2", "t10"):
        (pkg / f"{name}.py").write_text("")
    ruff_agrees(f"{typing}\n\n{block}\n", pkg)
