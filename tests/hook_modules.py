"""The MkDocs hooks as modules (temporary: the hooks are loaded by file path until they
become importable modules of the site layer)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "hooks" / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


numbers_hook = _load("numbers_hook", "numbers.py")
