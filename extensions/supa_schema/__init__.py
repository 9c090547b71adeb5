"""supa-schema's engine: answers -> schema state -> migration plan.

Pure Python with no dependency beyond the standard library, so the Copier
template renders with only ``copier`` and ``copier-template-extensions``.
"""

from .engine import ORM_REDIRECT, WORKSPACE_KINDS, Project, Workspace, build
from .errors import SchemaError

__all__ = ["ORM_REDIRECT", "WORKSPACE_KINDS", "Project", "SchemaError", "Workspace", "build"]
