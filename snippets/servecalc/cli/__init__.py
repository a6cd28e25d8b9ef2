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
servecalc: error: gpu 'h100' is not in the catalog; closest: 'h100-sxm', 'h100-pcie', 'h200' (list them all with `servecalc gpus`)
2

Adding a command: write a module in this package with a ``COMMANDS`` dict of
:class:`~servecalc.cli.common.Command` (its ``options`` picks the shared
model/hardware/deployment options; ``run(args)`` returns ``(data, text)``)
and add one line below; or call :func:`register_command` from another module
before :func:`main` runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from .. import __version__
from . import catalog, memory, simulate, timing
from .common import Command, Configure, Parser, Run, parent

COMMANDS: dict[str, Command] = {}
COMMANDS.update(catalog.COMMANDS)
COMMANDS.update(memory.COMMANDS)
COMMANDS.update(timing.COMMANDS)
COMMANDS.update(simulate.COMMANDS)

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
        "latency and cost, from the servecalc library behind the LLM Serving Field Guide.",
    )
    parser.add_argument("--version", action="version", version=f"servecalc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    parents = {}
    for name, cmd in COMMANDS.items():
        if cmd.options not in parents:
            parents[cmd.options] = parent(cmd.options)
        p = sub.add_parser(name, help=cmd.help, description=cmd.description,
                           parents=[parents[cmd.options]])
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, --version and argument errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        data, text = args._run(args)
        out = json.dumps(data, indent=2, allow_nan=False) if args.json else text
    except ValueError as exc:
        print(f"servecalc: error: {exc}", file=sys.stderr)
        return 2
    try:
        print(out)
        sys.stdout.flush()
    except BrokenPipeError:  # `servecalc models | head`: the reader stopped reading
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
