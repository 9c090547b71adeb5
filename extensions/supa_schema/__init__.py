"""supa-schema's engine: answers -> schema state -> migration plan.

Pure Python with no dependency beyond the standard library, so the Copier
template renders with only ``copier`` and ``copier-template-extensions``.
"""

from .engine import build
from .errors import SchemaError
from .project import Project
from .workspaces import ORM_REDIRECT, WORKSPACE_KINDS, Workspace

__all__ = ["ORM_REDIRECT", "WORKSPACE_KINDS", "Project", "SchemaError", "Workspace", "build"]
