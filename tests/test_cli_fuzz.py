"""The command line under hostile arguments (issue 15): exit 2 naming the option, never a traceback.

Every option of every command (enumerated from the parser, so new ones are
covered) gets each hostile value while the rest of the command line stays
valid. The call runs in-process through :func:`servecalc.cli.main`. It must
either succeed with finite numbers or exit 2 with one ``servecalc: error:``
line that names the option.
"""

from __future__ import annotations

import argparse
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servecalc.cli import build_parser, main

MODEL = ["--model", "llama-3.1-8b"]
DEPLOY = [*MODEL, "--gpu", "h100-sxm"]
#: A valid command line for each command (small, so a valid variation stays quick).
VALID = {
    "models": [], "gpus": [], "slos": [], "limits": [],
    "memory": MODEL,
    "fit": DEPLOY,
    "step": [*DEPLOY, "--phase", "decode", "--batch", "4", "--context", "1024"],
    "latency": [*DEPLOY, "--prompt", "128", "--output", "16"],
    "cost": [*DEPLOY, "--price-per-hour", "2.0"],
    "simulate": [*DEPLOY, "--rate", "2", "--requests", "20", "--prompt", "128", "--output", "16"],
    "practice": ["--kind", "kv_per_token", "--seed", "1", "--answer", "100"],
}
HOSTILE = [
    "0", "-1", "1.5", "0.0001", "1e309", "-1e309", "nan", "inf", "-inf", "1e-320", "5e-324",
    "1e308", "16777216", "100000000000", "9" * 30, "9" * 5000, "", "x", "None", "\x00",
    "lognormal:100,100", "uniform:5-1", "list:", "lognormal:1e400,1",
]


def _options(command: str) -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [a.option_strings[-1] for a in sub.choices[command]._actions
            if a.option_strings and a.nargs != 0 and a.dest != "help"]


def _with(argv: list[str], option: str, value: str) -> list[str]:
    """``argv`` with ``option`` set to ``value`` (replaced if present, else appended)."""
    if option in argv:
        i = argv.index(option)
        return [*argv[:i], option, value, *argv[i + 2:]]
    return [*argv, option, value]


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def check(code: int, out: str, err: str, argv: list[str], option: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    assert code in (0, 2), (argv, code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("servecalc: error: "), (argv, err)
        assert option in err, f"{argv}: the error does not name {option}: {err}"
    else:
        assert not re.search(r"(?<![a-z])(nan|inf)(?![a-z])", out.lower()), (argv, out)


def test_every_command_has_a_valid_line(capsys):
    for command, argv in VALID.items():
        code, _, err = run(capsys, [command, *argv])
        assert code == 0, (command, err)


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(c for c in VALID if _options(c)))
def test_hostile_values_exit_2_naming_the_option(capsys, command):
    for option in _options(command):
        for value in HOSTILE:
            argv = [command, *_with(VALID[command], option, value)]
            check(*run(capsys, argv), argv, option)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_drawn_values(capsys, data):
    command = data.draw(st.sampled_from(sorted(c for c in VALID if _options(c))))
    option = data.draw(st.sampled_from(_options(command)))
    value = data.draw(st.one_of(
        st.text(max_size=12).filter(lambda t: not t.startswith("-")),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
    ))
    argv = [command, *_with(VALID[command], option, value)]
    check(*run(capsys, argv), argv, option)


@pytest.mark.parametrize("argv, option", [
    (["simulate", *DEPLOY, "--rate", "1", "--requests", "100000000000"], "--requests"),
    (["simulate", *DEPLOY, "--rate", "1", "--requests", "9" * 30], "--requests"),
    (["simulate", *DEPLOY, "--rate", "1e-320", "--requests", "10"], "--rate"),
    (["simulate", *DEPLOY, "--rate", "1e308", "--requests", "10"], "--rate"),
    (["cost", *DEPLOY, "--price-per-hour", "1e308", "--gpus", "8"], "--price-per-hour"),
    (["memory", *MODEL, "--context", "0"], "--context"),
    (["fit", *DEPLOY, "--context", "0"], "--context"),
    (["simulate", *DEPLOY, "--rate", "1", "--requests", "10", "--output", "lognormal:100,100"],
     "--output"),
])
def test_reported_cli_failures(capsys, argv, option):
    code, out, err = run(capsys, argv)
    assert code == 2 and option in err and "Traceback" not in err, err


def test_unknown_slo_points_to_a_command_that_exists(capsys):
    code, _, err = run(capsys, ["simulate", *DEPLOY, "--rate", "1", "--requests", "10",
                                "--slo", "nope"])
    assert code == 2 and "--slo" in err
    command = re.search(r"`servecalc (\w+)`", err).group(1)
    code, out, _ = run(capsys, [command])
    assert code == 0 and "mlperf-llama2-70b-server" in out


def test_one_token_outputs_have_no_tpot(capsys):
    code, out, _ = run(capsys, ["simulate", *DEPLOY, "--rate", "1", "--requests", "10",
                                "--output", "1"])
    assert code == 0
    assert "time per output token  n/a" in out


def test_limits_are_listed_by_the_command_help_points_to(capsys):
    code, out, _ = run(capsys, ["--help"])
    assert code == 0 and "limits on every number: servecalc limits" in out
    code, out, _ = run(capsys, ["limits"])
    assert code == 0 and "price_usd_per_hour" in out and "10,000" in out


def test_an_internal_error_is_one_line(capsys):
    import servecalc.cli as cli

    def broken(args):
        raise ZeroDivisionError("boom")

    cli.register_command("broken", help="x", description="x", configure=lambda p: None,
                         run=broken)
    try:
        code, _, err = run(capsys, ["broken"])
    finally:
        del cli.COMMANDS["broken"]
    assert code == 1 and err.startswith("servecalc: internal error: ZeroDivisionError")
    assert "Traceback" not in err
