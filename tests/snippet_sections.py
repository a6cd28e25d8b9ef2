"""Read a named ``--8<-- [start:name]`` section of a snippet file, as pages include it."""

from __future__ import annotations

import re
from pathlib import Path

SNIPPETS = Path(__file__).resolve().parent.parent / "snippets"


def snippet_section(path: str, name: str) -> str:
    text = (SNIPPETS / path).read_text()
    match = re.search(
        rf"^# --8<-- \[start:{re.escape(name)}\]\n(.*?)^# --8<-- \[end:{re.escape(name)}\]",
        text,
        re.S | re.M,
    )
    if not match:
        raise KeyError(f"{path} has no section {name!r}")
    return match.group(1)
