"""Files are measured before they are read; counts and a simulation's work are checked
before anything is allocated (issue 24, the library and command-line half).

The command-line cases run in a subprocess under a timeout and an address-space
limit, so a regression fails here instead of hanging or filling the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

import servecalc as _package
from servecalc import calibration, validate
from servecalc.calibration import MAX_MEASUREMENTS, calibrate, read_measurements
from servecalc.cli import main
from servecalc.sim import Engine, make_workload, simulate, simulate_poisson
from servecalc.sim import engine as sim_engine
from servecalc.validate import MAX_JSON_CHARS, json_depth, json_value
from servecalc.vllm_result import read_vllm_result
from tests.guards import guarded

#: Where the servecalc under test lives: the subprocesses run the same code.
SNIPPETS = Path(_package.__file__).resolve().parent.parent
MEMORY_CAP = 1 << 30  # 1 GiB: far above a valid run, far below what the findings used
DEPLOYMENT = ["--model", "llama-3.1-8b", "--gpu", "h100-sxm"]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def servecalc(*args: str, timeout: float = 40) -> subprocess.CompletedProcess:
    """``servecalc ARGS`` in a subprocess: at most 1 GiB, at most ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(SNIPPETS)}
    return subprocess.run([sys.executable, "-m", "servecalc", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, preexec_fn=_cap_memory)


def one_error_line(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 2, result.stderr[-500:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("servecalc: error: "), result.stderr[-500:]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ---- files are measured before they are read ---------------------------------------------

@pytest.fixture()
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
@pytest.mark.parametrize(("command", "option"), [
    (["calibrate", "--measurements"], "--measurements"),
    (["compare", *DEPLOYMENT, "--vllm-result"], "--vllm-result"),
])
def test_a_device_or_a_pipe_is_refused_naming_the_option(command, option, special, fifo):
    path = fifo if special == "fifo" else special
    one_error_line(servecalc(*command, path), option, "not a regular file",
                   f"{MAX_JSON_CHARS:,} bytes")


def test_calibration_option_refuses_a_pipe(fifo):
    one_error_line(servecalc("simulate", *DEPLOYMENT, "--rate", "1", "--requests", "3",
                             "--calibration", fifo), "--calibration", "not a regular file")


def test_a_huge_sparse_file_is_refused_by_its_size(tmp_path):
    sparse = tmp_path / "sparse.jsonl"
    with open(sparse, "wb") as f:
        f.truncate(2 * 2**30)  # 2 GiB of holes: no disk used
    line = one_error_line(servecalc("calibrate", "--measurements", str(sparse)),
                          "--measurements", "2,147,483,648 bytes")
    assert f"at most {MAX_JSON_CHARS:,}" in line


def test_a_file_is_read_only_up_to_the_limit(tmp_path):
    from servecalc.files import read_text

    path = tmp_path / "big.json"
    path.write_bytes(b" " * 101)
    with pytest.raises(ValueError, match=r"--x '.*big.json' is 101 bytes; at most 100 are read"):
        read_text(str(path), "--x", limit=100)
    assert read_text(str(path), "--x", limit=101) == " " * 101
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        read_text(str(path), "--x")


def test_json_depth_uses_constant_memory():
    texts = ['["' + "a" * 2_000_000 + '"]', '["' + '\\"' * 1_000_000 + '"]',
             "[" * 30 + "1," * 1_000_000 + "]" * 30]
    assert [json_depth(t) for t in texts] == [1, 1, 30]
    for text in texts:
        tracemalloc.start()
        try:
            json_depth(text)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 100_000, f"json_depth took {peak:,} bytes for {len(text):,} characters"


def test_an_integer_beyond_python_digit_limit_names_the_file_and_line():
    text = ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", "batch": 1, '
            '"context": 512, "seconds": 0.007}\n') + '{"batch": ' + "9" * 5000 + "}\n"
    with pytest.raises(ValueError, match=r"^steps.jsonl line 2: a number has more than 4,300"):
        read_measurements(text, name="steps.jsonl")
    with pytest.raises(ValueError, match=r"^cal.json: a number has more than 4,300 digits"):
        json_value("cal.json", '{"parameters": {"mbu": ' + "1" * 5000 + "}}")


# ---- counts are checked before allocation ---------------------------------------------------

def _totals(completed: str) -> str:
    return (f'{{"completed": {completed}, "total_input_tokens": 1000, '
            '"total_output_tokens": 1000, "mean_ttft_ms": 20}')


@pytest.mark.parametrize(("completed", "message"), [
    ("100000000", "completed must be at most 1,000,000"),
    ("30000000", "completed must be at most 1,000,000"),
    ("1000000000000", "completed must be at most 1,000,000"),
    ("1e12", "completed must be an integer >= 1"),
])
def test_a_vllm_count_is_checked_before_anything_is_built(completed, message):
    tracemalloc.start()
    try:
        with guarded(10, extra_bytes=None), pytest.raises(ValueError, match=f"^run.json: {message}"):
            read_vllm_result(_totals(completed), name="run.json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_vllm_lengths_are_checked_against_the_limits_naming_the_field():
    with pytest.raises(ValueError, match=r"input_lens\[1\] must be at most 16,777,216"):
        read_vllm_result('{"input_lens": [100, 20000000], "output_lens": [10, 10], '
                         '"mean_ttft_ms": 20}')
    with pytest.raises(ValueError, match="total_input_tokens / completed must be at most"):
        read_vllm_result('{"completed": 2, "total_input_tokens": 1000000000, '
                         '"total_output_tokens": 10, "mean_ttft_ms": 20}')


def test_compare_refuses_a_huge_count_on_the_command_line(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(_totals("1000000000000"))
    one_error_line(servecalc("compare", *DEPLOYMENT, "--vllm-result", str(path)),
                   "completed must be at most 1,000,000")


def test_a_long_simulation_is_refused_before_it_runs():
    with guarded(60, extra_bytes=None), pytest.raises(ValueError, match=r"^requests and output need about [\d,]+ "
                                   r"engine steps .* at most 1,000,000 .* lower requests"):
        simulate_poisson("llama-3.1-8b", "h100-sxm", rate=50.0, requests=100_000,
                         prompt="uniform:1000-100000", output="uniform:1000-30000")


def test_a_long_simulation_names_the_options_on_the_command_line():
    one_error_line(servecalc("simulate", *DEPLOYMENT, "--rate", "50", "--requests", "100000",
                             "--prompt", "uniform:1000-100000", "--output",
                             "uniform:1000-30000"),
                   "arguments --requests, --output:", "engine steps")


def test_a_run_that_records_more_steps_than_the_limit_stops(monkeypatch):
    """The estimate is a lower bound; at a low rate the run takes more steps: it stops."""
    engine = Engine("llama-3.1-8b", "h100-sxm")
    work = make_workload([i * 0.05 for i in range(200)], [64] * 200, [64] * 200)
    simulate(engine, work)  # fine under the real limit
    monkeypatch.setattr(sim_engine, "ENGINE_STEPS", validate.Limit(1, 100, "steps"))
    with pytest.raises(ValueError, match="^requests and output took more than 100 engine steps"):
        simulate(engine, work)


def test_rate_scale_is_blamed_for_a_stretched_trace(capsys):
    assert main(["simulate", *DEPLOYMENT, "--trace", "azure-code-2023",
                 "--rate-scale", "1e-6"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("servecalc: error: argument --rate-scale: rate_scale 1e-06 stretches")
    assert "end_s" not in err


# ---- calibration: bounded and linear ----------------------------------------------------------

STEP = ('{{"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": {gpus}, "phase": "{phase}", '
        '"batch": {batch}, "context": {context}, "seconds": {seconds}}}')


def _steps(n: int, gpus=lambda i: 1) -> str:
    return "\n".join(STEP.format(gpus=gpus(i), phase=("decode", "prefill")[i % 2],
                                 batch=1 + i % 64, context=256 + 16 * i,
                                 seconds=0.008 + 1e-5 * i) for i in range(n))


def test_too_many_measurements_are_refused_at_the_line_past_the_limit():
    with guarded(30, extra_bytes=None), pytest.raises(ValueError, match=f"^m.jsonl line {MAX_MEASUREMENTS + 1}: "
                                   f"at most {MAX_MEASUREMENTS:,} measured steps"):
        read_measurements(_steps(MAX_MEASUREMENTS + 1), name="m.jsonl")


def test_too_many_deployments_are_refused():
    points = read_measurements(_steps(17, gpus=lambda i: 1 + i))
    with pytest.raises(ValueError, match="points must come from at most 16 deployments"):
        calibrate(points)


def test_the_fit_builds_one_step_model_per_deployment_per_try(monkeypatch):
    """Linear in the points: a model per tried calibration, not per point (was minutes
    for a few hundred points)."""
    built = []
    real = calibration.StepModel

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calibration, "StepModel", counting)
    points = read_measurements(_steps(200))
    with guarded(120, extra_bytes=None):
        cal = calibrate(points)
    assert len(cal.points) == 200
    assert len(built) < 1_000, f"{len(built):,} step models for 200 points"


def test_the_guide_boxes_take_the_library_limit():
    from fieldguide.calc_calibrate import CALIBRATION, COMPARE
    from fieldguide.fields import efficiency_fields

    boxes = [*CALIBRATION.fields, *COMPARE.fields, *efficiency_fields(calibration=True)]
    limits = {f.name: f.max for f in boxes if f.kind == "text"}
    assert limits == {"measurements": MAX_JSON_CHARS, "vllm_result": MAX_JSON_CHARS,
                      "calibration": MAX_JSON_CHARS}


def test_a_frontier_link_beyond_the_budget_waits_for_run():
    """Issue 19's frontier calculator declares its work, so a link cannot start hours of it."""
    from fieldguide.calculators import Held, render
    from fieldguide.fields import LINK_WORK_BUDGET
    from servecalc.frontier import REQUESTS_PER_CLIENT

    big = {"gpu": "h100-sxm", "gpu_counts": "1,2,4,8", "prompt": "131072", "output": "32768",
           "concurrencies": "1,2,4,8,16,32,64,128,256"}
    # 511 clients x REQUESTS_PER_CLIENT requests x 163,840 tokens x 4 GPU counts x 2 precisions
    assert REQUESTS_PER_CLIENT * 511 * 163_840 * 8 > LINK_WORK_BUDGET
    with pytest.raises(Held, match="press Run"):
        render("frontier", big, from_link=True)
