"""Undo what a reader's cell did to the interpreter, so the next cell starts clean.

The browser runs every cell of a tab in one Python interpreter. A cell that
rebinds a name in ``builtins`` or in a module (``builtins.print = ...``,
``servecalc.units.fmt_bytes = ...``) would otherwise change what every later
cell prints, the page's own included. :func:`isolated` takes a shallow
snapshot of every loaded module's namespace before a cell and puts back, after
it, every namespace whose names or values changed (compared by identity, so an
object with a lying ``__eq__`` cannot hide a change). Modules first imported
by the cell are unloaded: they are imported afresh when next needed. The
import system's lists (``sys.path``, ``sys.meta_path``, ``sys.path_hooks``),
the recursion limit, trace and profile hooks, the working directory and the
warning filters come back too.

An object changed in place (an entry added to a catalog dict, a class
attribute) is not undone; the page's Reset restarts Python for that.

>>> import builtins
>>> with isolated():
...     builtins.print = None
...     import json as shadowed; shadowed.dumps = None
>>> builtins.print is not None, callable(json.dumps)
(True, True)
>>> _ = sys.modules.pop("colorsys", None)
>>> with isolated():
...     import colorsys
...     sys.meta_path.insert(0, None)
>>> "colorsys" in sys.modules, None in sys.meta_path
(False, False)
"""

from __future__ import annotations

import contextlib
import gc
import json  # noqa: F401 - used by the doctest
import operator
import os
import sys
import types
import warnings
from collections.abc import Iterator


def _same(current: dict, saved: dict) -> bool:
    """Same names bound to the same objects, in the same order (identity only)."""
    return (
        len(current) == len(saved)
        and all(map(operator.is_, current, saved))
        and all(map(operator.is_, current.values(), saved.values()))
    )


def _snapshot() -> dict[str, tuple[types.ModuleType, dict]]:
    return {
        name: (module, dict(vars(module)))
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType)
    }


def _restore_modules(before: dict[str, tuple[types.ModuleType, dict]]) -> bool:
    """Put every namespace back; True if anything had changed."""
    changed = False
    for name in [name for name in list(sys.modules) if name not in before]:
        del sys.modules[name]
        changed = True
    for name, (module, saved) in before.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed = True
        current = vars(module)
        if not _same(current, saved):
            # clear() may run a finaliser of the cell's that changes another
            # namespace: the caller repeats until a pass finds nothing to undo.
            current.clear()
            current.update(saved)
            changed = True
    return changed


def _restore_lists(saved: list[tuple[list, list]]) -> None:
    for target, items in saved:
        if not _same(dict(enumerate(target)), dict(enumerate(items))):
            target[:] = items


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Run the body, then restore modules, builtins and interpreter settings."""
    before = _snapshot()
    settings = (sys.getrecursionlimit(), sys.gettrace(), sys.getprofile(), gc.isenabled())
    lists = [(target, list(target)) for target in
             (sys.path, sys.meta_path, sys.path_hooks, warnings.filters)]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    try:
        yield
    finally:
        for _ in range(3):
            _restore_lists(lists)
            if not _restore_modules(before):
                break
            gc.collect()  # finalisers of what the cell left behind run now
        limit, trace, profile, gc_enabled = settings
        sys.setrecursionlimit(limit)
        sys.settrace(trace)
        sys.setprofile(profile)
        if gc_enabled:
            gc.enable()
        if cwd is not None:
            with contextlib.suppress(OSError):
                os.chdir(cwd)
