"""Numbers for sentences: what ``{{ calc.NAME(...) }}`` placeholders print.

The MkDocs hook ``hooks/numbers.py`` replaces each placeholder in a page's
Markdown with the string a function here returns, at build time, so a number in
prose can never drift from the code. Each function returns text with its unit.

The functions live in one submodule per chapter (``prose/kv_cache.py``, ...)
and are gathered here: every public function a submodule lists in ``__all__``
becomes ``calc.<name>``. Two submodules may not export the same name.

>>> FUNCTIONS["kv_gib"]("llama-2-7b", context=4096, kv_dtype="fp16")
'2.00 GiB'
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

FUNCTIONS: dict[str, Callable[..., str]] = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_module, "__all__", []):
        if _name in FUNCTIONS:
            raise ImportError(f"calc.{_name} is defined twice (prose.{_info.name} and another module)")
        FUNCTIONS[_name] = getattr(_module, _name)
