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

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from types import SimpleNamespace
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser

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


# The extension copier.yml lists so that Copier can load the others by file path.
_PATH_LOADER = "copier_template_extensions.TemplateExtensionLoader"
_IMPORTS_COPIER = re.compile(r"^\s*(from|import) copier", re.M)


class YieldTag(Extension):
    """Copier's ``{% yield name from items %}`` tag for an environment without Copier.

    As Copier's ``YieldExtension``: rendering the tag renders its body and
    records ``name`` and ``items`` (in :attr:`state`) for the caller to fan
    out; compiling a template resets them.
    """

    tags = {"yield"}  # noqa: RUF012  (Jinja's API)

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self.state = SimpleNamespace(yield_name=None, yield_iterable=None)

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        self.state.yield_name = self.state.yield_iterable = None
        return source

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        target = parser.parse_assign_target(name_only=True)
        parser.stream.expect("name:from")
        iterable = parser.parse_expression()
        body = parser.parse_statements(("name:endyield",), drop_needle=True)
        call = self.call_method("_yield", [nodes.Const(target.name), iterable])
        return nodes.CallBlock(call, [], [], body, lineno=lineno)

    def _yield(self, name: str, iterable: Any, caller: Callable[[], str]) -> str:
        if self.state.yield_name is not None or self.state.yield_iterable is not None:
            raise jinja2.TemplateRuntimeError("only one yield tag is allowed per path part")
        self.state.yield_name, self.state.yield_iterable = name, iterable
        try:
            return caller()
        except jinja2.UndefinedError:
            return ""


def plain_environment(template: Path) -> tuple[jinja2.Environment, str] | None:
    """The environment Copier would render ``template`` with, built without Copier.

    Importing Copier takes a third of a second, as long as the rest of a
    fast update. This builds what :func:`template_environment` returns (less
    the sandbox, which the fast update leaves out anyway): Copier's default
    extensions (Ansible's filters and the ``yield`` tag, :class:`YieldTag`
    here), the template's ``_jinja_extensions`` loaded from their files,
    ``_envops`` and the ``pathjoin`` global. None when the template needs
    more than that (an extension module that imports Copier, such as the
    adapters of template versions before this function existed, or an
    extension given by import path): the caller then uses Copier.
    """
    import yaml
    from jinja2_ansible_filters import AnsibleCoreFiltersExtension

    try:
        config = yaml.safe_load((template / "copier.yml").read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(config, dict):
        return None
    envops = dict(config.get("_envops") or {})
    undefined = envops.get("undefined")
    if undefined is not None:
        if undefined not in ("jinja2.Undefined", "jinja2.StrictUndefined"):
            return None
        envops["undefined"] = getattr(jinja2, undefined.rpartition(".")[2])
    extensions: list[Any] = [AnsibleCoreFiltersExtension, YieldTag]
    modules: dict[str, Any] = {}
    for spec in config.get("_jinja_extensions") or []:
        if spec == _PATH_LOADER:
            continue
        file, _, name = str(spec).partition(":")
        path = template / file
        if not name or not file.endswith(".py") or not path.is_file():
            return None
        if file not in modules:
            if _IMPORTS_COPIER.search(path.read_text()):
                return None
            modules[file] = _load_module(path)
        extensions.append(getattr(modules[file], name))
    loader = jinja2.FileSystemLoader([str(template.resolve())])
    env = jinja2.Environment(loader=loader, extensions=extensions, **envops)
    env.globals["pathjoin"] = lambda *parts, mode="posix": str(
        {"posix": PurePosixPath, "windows": PureWindowsPath}.get(mode, PurePath)(*parts)
    )
    return env, str(config.get("_subdirectory") or "")


def _load_module(path: Path) -> Any:
    """The module of ``path`` (as copier-template-extensions loads a template's module)."""
    name = f"supa_schema_template.{path.stem}"
    spec = spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
    state: Any = next(
        (ext.state for ext in env.extensions.values() if isinstance(ext, YieldTag)), None
    )
    if state is None:
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
