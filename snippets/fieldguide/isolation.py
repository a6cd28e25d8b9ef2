"""Undo what a reader's cell did to the interpreter, so the next cell starts clean.

The browser runs every cell of a tab in one Python interpreter. A cell that
rebinds a name in ``builtins`` or in a module (``builtins.print = ...``,
``servecalc.units.fmt_bytes = ...``) would otherwise change what every later
cell prints, the page's own included. :func:`exec_isolated` takes a shallow
snapshot of every loaded module's namespace before the cell and puts back,
after it, every namespace whose names or values changed (compared by
identity, so an object with a lying ``__eq__`` cannot hide a change). For the
site's own packages (``servecalc``, ``fieldguide``) it also puts back the
attributes of their classes and the code and defaults of their functions.
Modules first imported by the cell are unloaded: they are imported afresh
when next needed. The import system's lists (``sys.path``, ``sys.meta_path``,
``sys.path_hooks``), the recursion limit, trace and profile hooks, the working
directory and the warning filters come back too.

Builtins, ``sys`` and this module's own namespace are restored first, from
local variables only, so a cell cannot break the code that undoes it.

This restore is a convenience between a reader's own runs, not a boundary.
It does not undo an object changed in place elsewhere (an entry added to a
catalog dict, a standard-library class such as ``json.JSONEncoder``), an audit
hook, a JavaScript timer created from Python, attributes set on the output
stream, or a patched :func:`operator.is_` that blinds the comparison. So the
page never runs its own cells or calculators after edited code in the same
interpreter: it restarts Python first (``web/cells.js``).

>>> import builtins, io
>>> out = io.StringIO()
>>> code = compile("import builtins, json; builtins.len = None; json.dumps = None; print('hi')", "<cell>", "exec")
>>> exec_isolated(code, {}, out, repr)
>>> out.getvalue(), len("abc"), json.dumps([1])
('hi\\n', 3, '[1]')
>>> _ = sys.modules.pop("colorsys", None)
>>> exec_isolated(compile("import colorsys, sys; sys.meta_path.insert(0, None); 1/0", "<cell>", "exec"), {}, out, repr)
"ZeroDivisionError('division by zero')"
>>> "colorsys" in sys.modules, None in sys.meta_path
(False, False)
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json  # noqa: F401 - used by the doctest
import operator
import os
import sys
import types
import warnings
from collections.abc import Callable

OWN_PACKAGES = ("servecalc", "fieldguide")

Modules = dict[str, tuple[types.ModuleType, dict]]


def _same(current: dict, saved: dict) -> bool:
    """Same names bound to the same objects, in the same order (identity only)."""
    return (
        len(current) == len(saved)
        and all(map(operator.is_, current, saved))
        and all(map(operator.is_, current.values(), saved.values()))
    )


def _snapshot_modules() -> Modules:
    return {
        name: (module, dict(vars(module)))
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType)
    }


def _own_objects(modules: Modules) -> tuple[list, list]:
    """The classes and functions our packages define: (class, attrs) and (function, parts)."""
    classes, functions = [], []
    for name, (_, namespace) in modules.items():
        if name.split(".")[0] not in OWN_PACKAGES:
            continue
        for value in namespace.values():
            if getattr(value, "__module__", None) != name:
                continue
            if isinstance(value, type):
                attrs = dict(vars(value))
                classes.append((value, attrs))
                values = attrs.values()
            else:
                values = [value]
            for fn in values:
                if isinstance(fn, types.FunctionType):
                    functions.append((fn, (fn.__code__, fn.__defaults__, fn.__kwdefaults__)))
    return classes, functions


def _restore_modules(before: Modules, keep_imports: bool) -> bool:
    """Put every module namespace back (and unload new ones); True if anything had changed."""
    changed = False
    for name in [name for name in list(sys.modules) if name not in before and not keep_imports]:
        del sys.modules[name]
        changed = True
    for name, (module, saved) in before.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed = True
        current = vars(module)
        if not _same(current, saved):
            current.clear()
            current.update(saved)
            changed = True
    return changed


def _restore_own(classes: list, functions: list) -> None:
    for cls, saved in classes:
        current = dict(vars(cls))
        if _same(current, saved):
            continue
        for key in current.keys() - saved.keys():
            delattr(cls, key)
        for key, value in saved.items():
            if current.get(key) is not value:
                setattr(cls, key, value)
    for fn, (code, defaults, kwdefaults) in functions:
        if fn.__code__ is not code:
            fn.__code__ = code
        if fn.__defaults__ is not defaults:
            fn.__defaults__ = defaults
        if fn.__kwdefaults__ is not kwdefaults:
            fn.__kwdefaults__ = kwdefaults


def _restore_lists(saved: list[tuple[list, list]]) -> None:
    for target, items in saved:
        if not _same(dict(enumerate(target)), dict(enumerate(items))):
            target[:] = items


def exec_isolated(
    code: types.CodeType,
    namespace: dict,
    stream: object,
    describe: Callable[[BaseException], str],
    *,
    keep_imports: bool = False,
) -> str | None:
    """``exec(code, namespace)`` with stdout and stderr to ``stream``, then undo its changes.

    Returns ``describe(exception)`` if the code raised, else None. The
    namespace is emptied before the state is restored, so finalisers of the
    cell's objects run while their changes can still be undone. With
    ``keep_imports`` (the page's own code, which poisons nothing), modules the
    code imported stay loaded, so the next cell does not import them again.
    """
    builtins_dict, own_dict, sys_dict = vars(builtins), globals(), vars(sys)
    saved_builtins, saved_own, saved_sys = builtins_dict.copy(), own_dict.copy(), sys_dict.copy()
    before = _snapshot_modules()
    classes, functions = _own_objects(before)
    settings = (sys.getrecursionlimit(), sys.gettrace(), sys.getprofile(), gc.isenabled())
    lists = [(target, list(target)) for target in
             (sys.path, sys.meta_path, sys.path_hooks, warnings.filters)]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = None
    sys.stdout = sys.stderr = stream
    error = None
    try:
        exec(code, namespace)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the reader
        error = describe(exc)
    finally:
        namespace.clear()
        # Locals and dict methods only, until builtins and our globals are back.
        builtins_dict.clear()
        builtins_dict.update(saved_builtins)
        own_dict.clear()
        own_dict.update(saved_own)
        sys_dict.clear()
        sys_dict.update(saved_sys)
        _restore_state(before, keep_imports, classes, functions, lists, settings, cwd)
    return error


def _restore_state(before: Modules, keep_imports: bool, classes: list, functions: list, lists: list,
                   settings: tuple, cwd: str | None) -> None:
    # A finaliser of the cell's can change a namespace while another is put
    # back: repeat until a pass finds nothing to undo.
    for _ in range(3):
        _restore_lists(lists)
        _restore_own(classes, functions)
        if not _restore_modules(before, keep_imports):
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
