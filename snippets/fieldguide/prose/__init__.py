"""Numbers for sentences: what ``{{ calc.NAME(...) }}`` placeholders print.

The MkDocs hook ``hooks/numbers.py`` replaces each placeholder in a page's
Markdown with the string a function here returns, at build time, so a number in
prose can never drift from the code. Each function returns text with its unit.

The functions live in one submodule per chapter (``prose/kv_cache.py``, ...)
and are gathered here: every public function a submodule defines (not one it
imports; a helper's name starts with ``_``) becomes ``calc.<name>``. Two
submodules may not define the same name.

>>> FUNCTIONS["kv_gib"]("llama-2-7b", context=4096, kv_dtype="fp16")
'2.00 GiB'
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

FUNCTIONS: dict[str, Callable[..., str]] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name, _value in vars(_module).items():
        if (_name.startswith("_") or not inspect.isfunction(_value)
                or _value.__module__ != _module.__name__):
            continue
        if _name in FUNCTIONS:
            raise ImportError(f"calc.{_name} is defined twice (prose.{_info.name} and another module)")
        FUNCTIONS[_name] = _value
