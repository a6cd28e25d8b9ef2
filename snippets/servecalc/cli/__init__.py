"""The ``servecalc`` command line: the library's numbers from a shell.

Every command takes ``--help`` and ``--json``. Human output goes through
:mod:`servecalc.units`; JSON keeps byte counts as integers. A bad argument
prints one line on stderr and exits with status 2.

>>> main(["memory", "--model", "llama-2-7b", "--context", "4096", "--json"])  # doctest: +ELLIPSIS
{
  "model": "llama-2-7b",
  ...
  "kv_bytes_per_token": 524288,
  "kv_bytes": 2147483648,
  ...
0
>>> import contextlib, sys
>>> with contextlib.redirect_stderr(sys.stdout):
...     main(["fit", "--model", "llama-3.1-70b", "--gpu", "h100"])
servecalc: error: argument --gpu: gpu 'h100' is not in the catalog; closest: 'h100-sxm', 'h100-pcie', 'h200' (list them all with `servecalc gpus`)
2

Adding a command: in a module of this package, declare its ``run(args)``
function (it returns ``(data, text)``; its docstring is the description) with
the :func:`~servecalc.cli.common.command` decorator, which enters it in the
module's ``COMMANDS`` (``options`` picks the shared model/hardware/deployment
options), and name a new module in the tuple below; or call
:func:`register_command` from another module before :func:`main` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence

from .. import __version__
from . import calibrate, capacity, catalog, compare, fleet, memory, practice, simulate, timing
from ..validate import describe
from .checks import blame
from .common import Command, Configure, Parser, Run, parent
from .examples import EXAMPLES, examples_text, first_steps_text

#: Every subcommand, in the order `servecalc --help` lists them.
COMMANDS: dict[str, Command] = {}
for _module in (catalog, memory, timing, simulate, fleet, calibrate, compare, capacity, practice):
    COMMANDS.update(_module.COMMANDS)

__all__ = ["COMMANDS", "Command", "build_parser", "main", "register_command"]


def register_command(
    name: str, *, help: str, description: str, configure: Configure, run: Run,  # noqa: A002
    options: str = "",
) -> None:
    """Add (or replace) a subcommand; ``run(args)`` returns ``(data, text)``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a command word, got {name!r}")
    COMMANDS[name] = Command(help=help, description=description, configure=configure, run=run,
                             options=options)


def build_parser() -> Parser:
    """The argparse parser for all registered commands."""
    parser = Parser(
        prog="servecalc",
        description="Serving math for large language models: memory, capacity, roofline "
        "latency and cost,\nfrom the servecalc library behind the LLM Serving Field Guide.\n\n"
        + first_steps_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"servecalc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    parents = {}
    for name, cmd in COMMANDS.items():
        if cmd.options not in parents:
            parents[cmd.options] = parent(cmd.options)
        p = sub.add_parser(name, help=cmd.help, description=_description(name, cmd),
                           parents=[parents[cmd.options]],
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog="Limits on every number: `servecalc limits`.")
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def _description(name: str, cmd: Command) -> str:
    """A command's ``--help`` text: its examples first (when it has any), then what it does,
    wrapped to the terminal's usual 79 columns."""
    text = textwrap.fill(cmd.description, width=79)
    return f"{examples_text(name)}\n\n{text}" if name in EXAMPLES else text


def _options(parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """argparse destination -> option as typed, for ``command``'s options."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a.option_strings[-1] for a in sub.choices[command]._actions
            if a.option_strings}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input, 1 internal error).

    Nothing escapes as a traceback: a bad value names its option and exits 2.

    >>> import contextlib, sys
    >>> with contextlib.redirect_stderr(sys.stdout):
    ...     main(["simulate", "--model", "llama-2-7b", "--gpu", "h100-sxm", "--rate", "1",
    ...           "--requests", "100000000000"])
    servecalc: error: argument --requests: requests must be at most 1,000,000 (requests in one simulation or workload; see `servecalc limits`), got 100000000000 (see `servecalc simulate --help`)
    2
    """
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("servecalc: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback
        print(f"servecalc: internal error: {type(exc).__name__}: {describe(str(exc))} "
              "(please report it with the command line)", file=sys.stderr)
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version and argument errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        data, text = args._run(args)
        out = json.dumps(data, indent=2, allow_nan=False) if args.json else text
    except ValueError as exc:
        print(f"servecalc: error: {blame(str(exc), _options(parser, args.command))}",
              file=sys.stderr)
        return 2
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:  # `servecalc models | head`: the reader stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
