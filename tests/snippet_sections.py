"""Read a snippet file, or one named ``--8<-- [start:name]`` section of it, as pages include it.

The folders are searched in the order of ``pymdownx.snippets``' ``base_path``
in mkdocs.yml.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPET_BASES = [ROOT / "snippets", ROOT / "docs", ROOT]


def snippet_section(path: str, name: str | None = None) -> str:
    """The text of ``path`` (relative to a snippet base), or of its section ``name``."""
    for base in SNIPPET_BASES:
        file = base / path
        if not file.exists():
            continue
        text = file.read_text(encoding="utf-8")
        if name is None:
            return text
        match = re.search(
            rf"^# --8<-- \[start:{re.escape(name)}\]\n(.*?)^# --8<-- \[end:{re.escape(name)}\]",
            text,
            re.S | re.M,
        )
        if not match:
            raise KeyError(f"{path} has no section {name!r}")
        return match.group(1)
    raise FileNotFoundError(path)
