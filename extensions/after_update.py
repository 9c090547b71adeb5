"""Run by Copier after `copier update` (``_tasks`` in copier.yml), in the updated repo.

Copier has no notion of a renamed file: it deletes the files of a renamed table,
hand edits included, and writes the files of the new name as the template renders
them. This moves the edits into the new files, merged three ways, as
`supa-schema update` does. The CLI ships in this template's ``src``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "extensions")]

from supa_schema_cli import apply  # noqa: E402  (needs the paths above)

for rel in apply.carry_renamed_edits(Path.cwd()):
    print(f"supa-schema: moved your edits of a renamed table into {rel}", file=sys.stderr)
