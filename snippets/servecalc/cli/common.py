"""What every command shares: the parser class, the option groups that build
a :class:`~servecalc.deployment.Deployment`, and text/JSON helpers.

Options come in three nested groups, each an argparse parent parser:

* ``model``: ``--model --weight-dtype --kv-dtype``;
* ``hardware``: the above and ``--gpu --gpus``;
* ``deployment``: the above and ``--engine --compute-dtype --mbu --mfu
  --overhead-s`` and the expert-parallel options ``--ep --dp-attention
  --ep-imbalance --redundant-experts`` (every command that times a step).

:func:`deployment_from_args` turns the parsed options into one Deployment.

>>> p = argparse.ArgumentParser(parents=[parent("deployment")])
>>> d = deployment_from_args(p.parse_args(["--model", "llama-3.1-70b", "--gpu", "h100-sxm",
...                                         "--gpus", "4", "--mbu", "0.7"]))
>>> d.model.id, d.gpus, d.mbu, d.mfu
('llama-3.1-70b', 4, 0.7, None)
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..deployment import COMPUTE_DTYPES, Deployment
from ..precision import KV_DTYPES, WEIGHT_DTYPES
from ..units import fmt_number
from .checks import count, number, share

Run = Callable[[argparse.Namespace], "tuple[Any, str]"]
Configure = Callable[[argparse.ArgumentParser], None]

#: The option groups a command can ask for (see the module docstring).
OPTION_GROUPS = ("", "model", "hardware", "deployment")


def no_options(parser: argparse.ArgumentParser) -> None:
    """The ``configure`` of a command with no options of its own."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Command:
    """One subcommand: its help line, description, shared options and two functions.

    ``options`` names one of :data:`OPTION_GROUPS` ("" for none);
    ``configure(parser)`` adds the command's own options; ``run(args)``
    returns ``(data, text)``: JSON-ready data and the human-readable text.
    """

    help: str
    description: str
    run: Run
    configure: Configure = no_options
    options: str = ""

    def __post_init__(self) -> None:
        if self.options not in OPTION_GROUPS:
            raise ValueError(f"options must be one of {OPTION_GROUPS!r}, got {self.options!r}")


def command(table: dict[str, Command], name: str, help: str, *,  # noqa: A002
            options: str = "", configure: Configure = no_options) -> Callable[[Run], Run]:
    """Decorator: enter the ``run`` function below it in ``table`` (its module's
    ``COMMANDS``) as subcommand ``name``, its docstring the command's description, so
    each command is declared once, beside its code.

    >>> table: dict[str, Command] = {}
    >>> @command(table, "hello", "say hello")
    ... def _run_hello(args):
    ...     '''Print a
    ...     greeting.'''
    ...     return {}, "hello"
    >>> table["hello"].description, table["hello"].run is _run_hello
    ('Print a greeting.', True)
    """
    def enter(run: Run) -> Run:
        # `python -OO` strips docstrings: the help line stands in for the description
        description = " ".join((run.__doc__ or help).split())
        table[name] = Command(help=help, description=description, run=run,
                              configure=configure, options=options)
        return run

    return enter


class Parser(argparse.ArgumentParser):
    """Argument errors: one line on stderr, exit status 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"servecalc: error: {message} (see `{self.prog} --help`)\n")


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="ID",
                   help="model ID from `servecalc models`, e.g. llama-3.1-70b")
    p.add_argument("--weight-dtype", default="bf16", choices=WEIGHT_DTYPES, metavar="D",
                   help="weight precision: %(choices)s (default: %(default)s)")
    p.add_argument("--kv-dtype", default="bf16", choices=KV_DTYPES, metavar="D",
                   help="KV-cache precision (default: %(default)s)")


def _hardware_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu", required=True, metavar="ID",
                   help="accelerator ID from `servecalc gpus`, e.g. h100-sxm")
    p.add_argument("--gpus", type=count("gpus"), default=1, metavar="N",
                   help="GPUs in one tensor-parallel group (default: %(default)s)")


def add_engine_choice(p: argparse.ArgumentParser) -> None:
    """``--engine ID``: the serving-engine preset (also for commands without the
    ``deployment`` group, such as ``plan``)."""
    from ..engines import DEFAULT_ENGINE, ENGINES

    p.add_argument("--engine", default=None, choices=ENGINES, metavar="ID",
                   help="serving-engine preset from `servecalc engines`: its scheduler, memory "
                   f"fraction and efficiencies, one of %(choices)s (default: {DEFAULT_ENGINE})")


def add_expert_options(p: argparse.ArgumentParser, *, full: bool = True) -> None:
    """``--ep N`` and ``--dp-attention`` (and, with ``full``, ``--ep-imbalance`` and
    ``--redundant-experts``): expert parallelism for mixture-of-experts models."""
    p.add_argument("--ep", type=count("ep"), default=1, metavar="N",
                   help="expert-parallel size: split the routed experts over N of the GPUs "
                   "(N must divide --gpus; default: 1, experts sharded like tensor parallelism)")
    p.add_argument("--dp-attention", action="store_true",
                   help="attention data-parallel: each GPU holds the attention weights whole "
                   "and its own sequences (the batch divides over the GPUs)")
    if full:
        p.add_argument("--ep-imbalance", type=number("ep_imbalance"), default=1.0,
                       metavar="F", help="busiest GPU's expert load over the mean, >= 1 "
                       "(default: 1, perfectly balanced)")
        p.add_argument("--redundant-experts", type=count("redundant_experts", zero=True),
                       default=0, metavar="R", help="extra expert replicas per MoE layer, "
                       "as DeepSeek's load balancer places them (default: 0)")


def _efficiency_options(p: argparse.ArgumentParser) -> None:
    add_engine_choice(p)
    add_expert_options(p)
    p.add_argument("--compute-dtype", default="", choices=COMPUTE_DTYPES, metavar="D",
                   help="matmul precision: %(choices)s (default: follows the weights)")
    p.add_argument("--mbu", type=share("mbu"), default=None, metavar="X",
                   help="memory-bandwidth utilization in (0, 1] (default: the engine preset's)")
    p.add_argument("--mfu", type=share("mfu"), default=None, metavar="Y",
                   help="FLOP utilization in (0, 1] (default: the engine preset's)")
    p.add_argument("--overhead-s", type=number("overhead_s", zero=True), default=None, metavar="S",
                   help="fixed seconds per step (default: the engine preset's, per step and per layer)")
    p.add_argument("--calibration", default=None, metavar="FILE",
                   help="calibration JSON from `servecalc calibrate --json`: its fitted MBU, "
                   "MFU and overhead replace the defaults (explicit options still win)")


def parent(options: str) -> argparse.ArgumentParser:
    """The parent parser for one of :data:`OPTION_GROUPS` (``""`` has no options)."""
    p = argparse.ArgumentParser(add_help=False)
    groups = (_model_options, _hardware_options, _efficiency_options)
    for add in groups[: OPTION_GROUPS.index(options)]:
        add(p)
    return p


def read_file(path: str, what: str) -> str:
    """The text of ``path`` (:func:`servecalc.files.read_text`: a regular file of at most
    :data:`~servecalc.validate.MAX_JSON_CHARS` bytes); any other is a ValueError naming it."""
    from ..files import read_text

    return read_text(path, what)


def deployment_from_args(args: argparse.Namespace) -> Deployment:
    """The :class:`Deployment` the shared options describe (built once per command)."""
    calibration = None
    if args.calibration is not None:
        from ..calibration import load_calibration

        calibration = load_calibration(read_file(args.calibration, "--calibration"),
                                       name=args.calibration)
    return Deployment(
        model=args.model, gpu=args.gpu, gpus=args.gpus, weight_dtype=args.weight_dtype,
        kv_dtype=args.kv_dtype, compute_dtype=args.compute_dtype, mbu=args.mbu,
        mfu=args.mfu, overhead_s=args.overhead_s, calibration=calibration, engine=args.engine,
        ep=args.ep, dp_attention=args.dp_attention, ep_imbalance=args.ep_imbalance,
        redundant_experts=args.redundant_experts,
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """A plain-text table; columns in ``right`` are right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def pairs(rows: Sequence[tuple[str, str]]) -> str:
    """``name  value`` lines, names padded to one width."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def billions(n: int) -> str:
    """``6.74 B`` for 6,738,415,616."""
    return f"{fmt_number(n / 1e9, 2)} B"


def jsonable(obj: Any) -> Any:
    """Dataclass or mapping -> plain JSON types; a non-finite float is an error."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"a result is not a finite number ({obj!r}); check the inputs")
    return obj
