"""CLI manners (issue 22, item 9): help opens with examples that run, progress only on a
terminal, plan's fleets compared with the cheapest, left-out configurations summarised,
and every printed rate says what it counts."""

from __future__ import annotations

import contextlib
import io
import shlex

import pytest

from servecalc.cli import COMMANDS, build_parser, main
from servecalc.cli.capacity import left_out_text
from servecalc.cli.examples import EXAMPLES, FILE_OPTIONS, FIRST
from servecalc.cli.progress import progress_line


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_every_command_has_examples_and_only_commands_do():
    assert set(EXAMPLES) == set(COMMANDS)
    assert set(FIRST) <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_opens_with_examples(name):
    code, out, _ = _run([name, "--help"])
    assert code == 0
    body = out.split("\n\n", 1)[1]  # after the usage block
    assert body.startswith("examples:\n  servecalc " + name)
    assert body.index("examples:") < body.index("options:")


def test_top_level_help_suggests_first_commands_and_points_at_limits():
    code, out, _ = _run(["--help"])
    assert code == 0
    assert "try first:" in out and "servecalc limits" in out
    assert out.index("try first:") < out.index("positional arguments")
    assert "Limits (values outside" not in out  # the 40-line block lives in `servecalc limits`
    assert len(out.splitlines()) < 50


EXAMPLE_LINES = [(name, line) for name, rows in EXAMPLES.items() for line, _ in rows]


@pytest.mark.parametrize(("name", "line"), EXAMPLE_LINES, ids=[l for _, l in EXAMPLE_LINES])
def test_every_example_parses_and_those_without_files_run(name, line):
    argv = shlex.split(line)
    assert argv[0] == "servecalc" and argv[1] == name
    args = build_parser().parse_args(argv[1:])
    assert args.command == name
    if any(opt in argv for opt in FILE_OPTIONS) or "--kind" in argv and "--seed" not in argv:
        return  # reads a file the reader supplies, or asks a question on stdin
    code, out, err = _run(argv[1:])
    assert (code, err) == (0, "") and out.strip()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal_and_erased_at_the_end():
    pipe = io.StringIO()
    with progress_line("plan", stream=pipe) as report:
        assert report is None
    assert pipe.getvalue() == ""
    tty = _Terminal()
    with progress_line("plan", stream=tty) as report:
        for f in (0.0, 0.004, 0.5, 0.5, 1.0):
            report(f)
    frames = tty.getvalue().split("\r")
    assert frames[1:4] == ["plan: 0 % done", "plan: 50 % done", "plan: 100 % done"]
    assert frames[-1] == "" and frames[-2].strip() == ""  # the line is blanked, cursor at its start


def test_plan_marks_fleets_far_above_the_cheapest_and_summarises_what_it_left_out():
    argv = ["plan", "--model", "llama-3.1-8b", "--rate", "20", "--gpu", "h100-sxm",
            "--gpus", "1,2", "--weight-dtype", "bf16", "--slo", "mlperf-llama3.1-8b-server"]
    code, out, err = _run(argv)
    assert code == 0 and err == ""  # stderr is not a terminal here: no progress
    lines = out.splitlines()
    header = lines[1].split()
    assert header[-2:] == ["x", "cheapest"]
    first = lines[3]
    assert first.endswith("1.0 x")
    for row in lines[3:]:
        if not row.startswith("h100-sxm"):
            break
        dollars = [float(c.strip("$").replace(",", "")) for c in row.split() if c.startswith("$")]
        cheapest = float(lines[3].split("$")[1].split()[0].replace(",", ""))
        ratio = dollars[0] / cheapest
        assert row.endswith("!") == (ratio >= 2.0), row


def test_left_out_is_a_short_table_and_verbose_lists_every_reason():
    skipped = [(f"g x{n} bf16", f"does not fit: {n} GB over") for n in (1, 2, 4, 8)]
    skipped.append(("h x1 fp8", "no price: none published"))
    short = left_out_text(skipped, verbose=False)
    assert short.splitlines()[3].split()[:4] == ["does", "not", "fit", "4"]
    assert "g x1 bf16, g x2 bf16, g x4 bf16, ..." in short and "8 GB over" not in short
    full = left_out_text(skipped, verbose=True)
    assert all(f"{c}: {r}" in full for c, r in skipped)


def test_latency_says_what_each_rate_counts():
    code, out, _ = _run(["latency", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "2",
                         "--prompt", "100", "--output", "10", "--batch", "8", "--json"])
    assert code == 0
    import json

    tpot = json.loads(out)["tpot_s"]
    code, text, _ = _run(["latency", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "2",
                          "--prompt", "100", "--output", "10", "--batch", "8"])
    rows = dict(line.split("  ", 1) for line in text.splitlines())
    per_seq = float(rows["decode tokens/s, per sequence"].strip().replace(",", ""))
    whole = float(rows["decode tokens/s, whole batch"].split("(")[0].strip().replace(",", ""))
    per_gpu = float(rows["decode tokens/s, per GPU"].strip().replace(",", ""))
    # one token per sequence per step: a sequence's rate is 1 / TPOT, the batch's 8 of them
    assert per_seq == pytest.approx(1 / tpot, abs=0.06)
    assert whole == pytest.approx(8 / tpot, abs=0.06)
    assert per_gpu == pytest.approx(4 / tpot, abs=0.06)
    assert "(8 sequences)" in rows["decode tokens/s, whole batch"]


@pytest.mark.parametrize("extra, named", [
    (["--speculative", "mtp", "--replicas", "2"], ("--speculative", "--replicas/--router")),
    (["--speculative", "ngram", "--prefill-replicas", "1", "--decode-replicas", "1"],
     ("--speculative", "--prefill-replicas/--decode-replicas")),
    (["--replicas", "2", "--prefill-replicas", "1", "--decode-replicas", "1"],
     ("--prefill-replicas/--decode-replicas", "--replicas/--router")),
])
def test_features_simulated_apart_are_refused_together_naming_both(extra, named):
    code, out, err = _run(["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                           "--rate", "1", "--requests", "10", *extra])
    assert code == 2 and out == ""
    assert all(name in err for name in named) and "not simulated together" in err
