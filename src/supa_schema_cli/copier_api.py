"""The one place that uses Copier's internals; everything else uses its public API.

Checked against Copier 9.19.1. Its public API (``copier.__all__``: ``run_copy``,
``run_recopy``, ``run_update``, ``Settings``, ``load_settings``, ``Phase``,
``VcsRef``) renders or updates whole projects; ``new`` and the real update use
it directly (``from copier import run_copy, run_update``). Everything else in
Copier is internal (``copier.Worker``, ``copier.main`` and ``copier.jinja_ext``
warn that they are deprecated as internal), and nothing public renders one file
of a template. The fast update (``apply.py``) renders only the files a
changelog entry touches, and must render them exactly as Copier does, so it
takes from Copier's internals:

- ``Worker.jinja_env``: the template's Jinja environment as Copier configures
  it (its ``_jinja_extensions``, ``_envops``, Copier's filters and globals);
- ``Worker.template.subdirectory``: the template's ``_subdirectory``;
- ``get_yield_context``: the state the ``{% yield %}`` tag leaves for path
  rendering;
- the rules of ``Worker._render_parts``, re-implemented by :func:`expand_path`
  (Copier's renders every item of a ``yield``; the fast update wants only the
  items a change touches).

When Copier is upgraded, check this module first: the tests compare the fast
update with Copier's own ``copier update`` byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2

# Copier is imported inside the functions: it takes half a second, which
# commands that render nothing (and --help) should not pay.


def template_environment(template: Path, dst: Path) -> tuple[jinja2.Environment, str]:
    """Copier's (sandboxed) Jinja environment for ``template`` and its ``_subdirectory``.

    ``template`` is a plain local directory (no VCS), so nothing is cloned. The
    template's Jinja extensions are loaded here.
    """
    try:  # Copier >= 9.5 keeps its internals in private modules
        from copier._main import Worker
    except ImportError:  # pragma: no cover - Copier 9.4
        from copier.main import Worker
    worker = Worker(src_path=str(template), dst_path=dst, unsafe=True, quiet=True, defaults=True)
    return worker.jinja_env, worker.template.subdirectory


def expand_path(
    env: jinja2.Environment,
    parts: Sequence[str],
    render: Callable[[str, dict[str, Any]], str],
    keep: Callable[[Any], bool] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Destination paths of a templated path (its ``parts``) with each one's extra context.

    Copier's rules (``Worker._render_parts``): a part rendering to an empty
    string drops the path; a part with ``{% yield name from items %}`` fans out
    over ``items``, ``name`` joining the context of the parts after it. ``keep``
    restricts that fan-out to the items wanted. ``render(part, extra)`` renders
    one part of ``env`` with the extra context; it may reuse compiled parts
    (Copier resets the yield state when it compiles, so it is reset here).
    """
    try:
        from copier._jinja_ext import get_yield_context
    except ImportError:  # pragma: no cover - Copier 9.4
        from copier.jinja_ext import get_yield_context
    state = get_yield_context(env)

    def render_part(part: str, extra: dict[str, Any]) -> str:
        state.yield_name = state.yield_iterable = None
        return render(part, extra)

    def expand(
        parts: Sequence[str], done: tuple[str, ...], extra: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        if not parts:
            yield "/".join(done), extra
            return
        part, rest = parts[0], parts[1:]
        rendered = render_part(part, extra)
        name, items = state.yield_name, state.yield_iterable
        if name:
            for item in items or ():
                if keep is not None and not keep(item):
                    continue
                more = {**extra, name: item}
                piece = render_part(part, more)
                if piece:
                    yield from expand(rest, (*done, piece), more)
            return
        if rendered:
            yield from expand(rest, (*done, rendered), extra)

    return expand(tuple(parts), (), {})
