"""Parsed answers files, kept between runs so that a long changelog is parsed once.

Parsing a 500-table changelog as YAML takes a fifth of a second, and every
update parses two of them (the recorded answers and the user's data file),
though all but the new entries were parsed by the run before. This module
keeps what a YAML text parses to, keyed by the SHA-256 of the text, in the
user's cache directory:

- the same text again (the answers file this tool wrote last time, an
  unchanged data file) is read back from the cache;
- a text that extends the last one read from the same path by new changelog
  entries at its end (the usual edit of a data file) parses only the new
  entries, when the text is laid out so that this gives what parsing all of it
  would (see :func:`_appended`); anything else is parsed in full.

A cache entry holds plain data (dicts, lists, strings, numbers, dates), as
YAML gives it; any problem with the cache falls back to parsing.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is ~10x faster on large changelogs; PyYAML without it still works
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KEEP = 32  # parsed texts kept; the oldest go first
_ITEM = re.compile(r"( *)- ")


def load_yaml(text: str) -> Any:
    """``text`` as YAML (safe), with libyaml when it is installed."""
    with paused_gc():
        return yaml.load(text, Loader=_Loader)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: building a large changelog or project
    allocates many objects and none of them is garbage yet, but the collector
    would walk them all, again and again (it triples the time of a parse)."""
    with _gc(False):
        yield


@contextmanager
def _gc(on: bool) -> Iterator[None]:
    enabled = gc.isenabled()
    if on:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        else:
            gc.disable()


@contextmanager
def running_gc() -> Iterator[None]:
    """Garbage collection on inside (for long work, such as a real ``copier update``)."""
    with _gc(True):
        yield


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """Parsed YAML texts in ``directory`` (created when first written)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _read(self, name: str) -> Any:
        try:
            with paused_gc():
                return pickle.loads((self.directory / name).read_bytes())
        except Exception:  # noqa: BLE001 - absent, partial or stale: parse instead
            return None

    def _write(self, name: str, value: Any) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = self.directory / f"{name}.{os.getpid()}.partial"
            partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            partial.replace(self.directory / name)
        except OSError:  # a read-only cache only costs time
            pass

    def remember(self, text: str, value: Any, path: Path | None = None) -> None:
        """Record that ``text`` (read from or written to ``path``) parses to ``value``."""
        digest = _digest(text)
        self._write(f"{digest}.pickle", value)
        if path is not None:
            self._write(_path_key(path), (len(text), digest))
        self._prune()

    def known(self, text: str) -> bool:
        """Whether ``text`` was parsed before (reading it back costs little)."""
        return (self.directory / f"{_digest(text)}.pickle").is_file()

    def load(self, text: str, path: Path | None = None) -> Any:
        """``text`` parsed as YAML, read from ``path`` (when given), as :func:`load_yaml`."""
        digest = _digest(text)
        found = self._read(f"{digest}.pickle")
        if isinstance(found, dict):
            return found
        value = None
        last = self._read(_path_key(path)) if path is not None else None
        if isinstance(last, tuple) and len(last) == 2 and 0 < last[0] < len(text):
            length, before = last
            prefix = text[:length]
            if _digest(prefix) == before:
                earlier = self._read(f"{before}.pickle")
                if isinstance(earlier, dict):
                    value = _appended(earlier, prefix, text[length:])
        if value is None:
            value = load_yaml(text)
        if isinstance(value, dict):
            self.remember(text, value, path)
        return value

    def _prune(self) -> None:
        try:
            entries = sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime)
        except OSError:
            return
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)


def _path_key(path: Path) -> str:
    return "path-" + _digest(str(path.resolve()))[:32]


def _appended(earlier: dict[str, Any], prefix: str, tail: str) -> dict[str, Any] | None:
    """``earlier`` (what ``prefix`` parses to) with the changelog entries of ``tail``.

    None unless ``prefix + tail`` is certain to parse to that: ``prefix`` ends
    with its ``migrations:`` block sequence (the last top-level key, items at
    one indentation), and ``tail`` continues that sequence with whole items at
    the same indentation and nothing else at the top level. Aliases of anchors
    in ``prefix`` do not parse in ``tail`` alone, so they fall back too.
    """
    migrations = earlier.get("migrations")
    if not isinstance(migrations, list) or not migrations or not prefix.endswith("\n"):
        return None
    lines = prefix.splitlines()
    top = [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "#", "-")]
    if not top or lines[top[-1]] != "migrations:":
        return None
    first = next(
        (line for line in lines[top[-1] + 1 :] if line.strip() and line.lstrip()[0] != "#"),
        None,
    )
    item = _ITEM.match(first or "")
    if item is None:
        return None
    indent, start = item.group(1), item.group(0)
    if not tail.startswith(start):
        return None
    for line in tail.splitlines():
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        if not line.startswith(indent) or (not indent and line[0] not in (" ", "-")):
            return None
        if line.startswith(("---", "...", "%")):
            return None
    try:
        added = load_yaml(tail)
    except yaml.YAMLError:
        return None
    if not isinstance(added, list) or not added:
        return None
    return {**earlier, "migrations": [*migrations, *added]}
