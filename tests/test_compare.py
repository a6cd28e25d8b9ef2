"""servecalc compare: vllm bench serve results (in vLLM's own format) against the simulator."""

from __future__ import annotations

import json
import math

import pytest

from servecalc.calibration import Calibration
from servecalc.cli import main
from servecalc.compare import compare_vllm
from servecalc.deployment import Deployment
from servecalc.vllm_result import read_vllm_result
from tests.snippet_sections import ROOT


#: A result as `vllm bench serve --save-result` writes it (vllm/benchmarks/serve.py:
#: settings first, then the benchmark's own keys); the browser's compare calculator
#: shows it as its default.
EXAMPLE = ROOT / "snippets" / "fieldguide" / "examples" / "vllm-bench-serve.json"


def vllm_file(prompts, outputs, *, rate=4.0, burstiness=1.0, detailed=True, **metrics):
    """:data:`EXAMPLE` with these requests (``--save-detailed`` lists if ``detailed``),
    rate and burstiness, and ``metrics`` replacing its measured values."""
    n = len(prompts)
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data.update(
        num_prompts=n, request_rate=rate, burstiness=burstiness, completed=n,
        total_input_tokens=sum(prompts), total_output_tokens=sum(outputs),
        request_throughput=n / data["duration"],
        output_throughput=sum(outputs) / data["duration"],
        total_token_throughput=(sum(prompts) + sum(outputs)) / data["duration"],
    )
    data.update(metrics)
    if detailed:
        data.update(input_lens=list(prompts), output_lens=list(outputs),
                    ttfts=[0.03] * n, itls=[[0.008] * (o - 1) for o in outputs],
                    generated_texts=[""] * n, errors=[""] * n)
    return json.dumps(data)


PROMPTS = [256, 512, 1024, 768] * 15
OUTPUTS = [64, 128, 32, 96] * 15


def test_reads_the_detailed_and_the_summary_forms():
    r = read_vllm_result(vllm_file(PROMPTS, OUTPUTS))
    assert r.detailed and r.prompts == tuple(PROMPTS) and r.request_rate == 4.0
    assert r.metrics["p99_itl_ms"] == 14.0 and "std_ttft_ms" not in r.metrics
    summary = read_vllm_result(vllm_file(PROMPTS, OUTPUTS, detailed=False))
    assert not summary.detailed
    assert summary.prompts == (640,) * 60 and summary.outputs == (80,) * 60   # totals / n
    inf = read_vllm_result(vllm_file(PROMPTS, OUTPUTS, rate="inf"))
    assert math.isinf(inf.request_rate)


def test_failed_requests_are_left_out():
    data = json.loads(vllm_file([100, 200, 300], [10, 20, 30]))
    data["errors"] = ["", "Timeout", ""]
    data["output_lens"][1] = 0
    r = read_vllm_result(json.dumps(data))
    assert r.prompts == (100, 300) and r.outputs == (10, 30)


def test_replay_matches_a_run_the_simulator_itself_measured():
    # A "measurement" produced by the simulator on a calibrated deployment must be
    # reproduced by compare with that calibration (same seed: the same arrivals).
    cal = Calibration(mbu=0.5, mfu=0.4, overhead_s=0.001)
    d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", calibration=cal)
    first = compare_vllm(read_vllm_result(vllm_file(PROMPTS, OUTPUTS)), d, seed=3)
    measured = {r.metric: r.predicted for r in first.rows}
    again = compare_vllm(read_vllm_result(vllm_file(PROMPTS, OUTPUTS, **measured)), d, seed=3)
    assert all(abs(r.rel_error) < 1e-12 for r in again.rows)
    # ...and the default deployment does not (the calibration is 20 % slower on bandwidth).
    default = compare_vllm(read_vllm_result(vllm_file(PROMPTS, OUTPUTS, **measured)),
                           "llama-3.1-8b", "h100-sxm", seed=3)
    tpot = next(r for r in default.rows if r.metric == "mean_tpot_ms")
    assert tpot.rel_error < -0.10


def test_burstier_traffic_queues_longer():
    def p99_ttft(burstiness):
        run = read_vllm_result(vllm_file([2048] * 200, [64] * 200, rate=12.0,
                                         burstiness=burstiness))
        rows = compare_vllm(run, "llama-3.1-8b", "h100-sxm", seed=1).rows
        return next(r.predicted for r in rows if r.metric == "p99_ttft_ms")

    assert p99_ttft(0.25) > p99_ttft(1.0)


@pytest.mark.parametrize("text, fragment", [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"request_rate": 1, "completed": 2}', "total_input_tokens"),
    ('{"request_rate": -1, "input_lens": [1], "output_lens": [1]}', "request_rate"),
    ('{"input_lens": [1, 2], "output_lens": [1]}', "same length"),
    ('{"input_lens": [1], "output_lens": [1], "errors": ["boom"]}', "no successful request"),
    ('{"input_lens": [1], "output_lens": [1]}', "no measured metrics"),
])
def test_bad_results_name_the_problem(text, fragment):
    with pytest.raises(ValueError) as info:
        read_vllm_result(text, name="run.json")
    assert fragment in str(info.value) and str(info.value).startswith("run.json")


def test_cli_compare(tmp_path, capsys):
    path = tmp_path / "run.json"
    path.write_text(vllm_file(PROMPTS, OUTPUTS))
    args = ["compare", "--vllm-result", str(path), "--model", "llama-3.1-8b", "--gpu", "h100-sxm"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "60 requests at 4.00/s" in out and "mean_tpot_ms" in out and "p99_itl_ms" in out
    assert main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["requests"] == 60 and len(data["metrics"]) == 11
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(Calibration(mbu=0.3, mfu=0.4, overhead_s=0.0).to_dict()))
    assert main(args + ["--json", "--calibration", str(cal)]) == 0
    slower = json.loads(capsys.readouterr().out)
    tpot = [m["predicted"] for d in (data, slower) for m in d["metrics"]
            if m["metric"] == "mean_tpot_ms"]
    assert tpot[1] > 1.5 * tpot[0]


@pytest.mark.parametrize("content, fragment", [
    (None, "cannot be read"), ("{}", "total_input_tokens"), ("nope", "not valid JSON")])
def test_cli_compare_bad_files_exit_2(tmp_path, capsys, content, fragment):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    code = main(["compare", "--vllm-result", str(path), "--model", "llama-3.1-8b", "--gpu",
                 "h100-sxm"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and fragment in err and err.count("\n") == 1
