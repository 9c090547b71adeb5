"""The cache of parsed answers files: it must give what parsing the text gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from supa_schema_cli.parsed import Store, load_yaml

HEAD = "project_name: Acme\nlanguages: [typescript]\nmigrations:\n"
ENTRY = "- name: {0}\n  workspace: typescript\n  actions:\n  - table: {0}\n    columns:\n    - {{name: title, type: text}}\n"


def entries(*names: str, indent: str = "") -> str:
    return "".join(
        "".join(indent + line + "\n" for line in ENTRY.format(n).splitlines()) for n in names
    )


def loads(store: Store, path: Path, text: str) -> object:
    path.write_text(text)
    return store.load(text, path)


@pytest.mark.parametrize("indent", ["", "  "])
def test_appended_entries_parse_as_the_whole_text(tmp_path: Path, indent: str) -> None:
    store, path = Store(tmp_path / "cache"), tmp_path / "data.yml"
    first = HEAD + entries("a", "b", indent=indent)
    assert repr(loads(store, path, first)) == repr(load_yaml(first))
    longer = first + entries("c", "d", indent=indent)
    assert repr(loads(store, path, longer)) == repr(load_yaml(longer))
    assert repr(loads(store, path, longer)) == repr(load_yaml(longer))  # read back


@pytest.mark.parametrize(
    "tail",
    [
        "multi_tenant: true\n",  # another top-level key after the changelog
        "  extra: 1\n",  # more of the last entry
        "- name: c\n  workspace: typescript\n  actions: *acts\n",  # an alias of the prefix
        "- name: c\n  workspace: typescript\nmulti_tenant: true\n",
    ],
)
def test_other_edits_parse_in_full(tmp_path: Path, tail: str) -> None:
    store, path = Store(tmp_path / "cache"), tmp_path / "data.yml"
    first = HEAD + "- name: a\n  workspace: typescript\n  actions: &acts []\n"
    loads(store, path, first)
    text = first + tail
    try:
        expected = repr(load_yaml(text))
    except Exception as err:  # noqa: BLE001
        with pytest.raises(type(err)):
            loads(store, path, text)
    else:
        assert repr(loads(store, path, text)) == expected


def test_a_remembered_text_reads_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache")
    text = HEAD + entries("a")
    store.remember(text, {"marker": True})
    assert store.load(text) == {"marker": True}
    assert store.load(text + "\n") == load_yaml(text + "\n")
