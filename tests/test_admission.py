"""Admission: ``grow`` (vLLM, SGLang) against ``reserve`` (TensorRT-LLM's default
GUARANTEED_NO_EVICT).

Expected values are derived by hand from the policies' definitions: under ``reserve``
a request starts only when its prompt and its whole output fit beside the bookings of
everything running, so with ``K`` blocks of ``bs`` tokens and requests of ``P + O``
tokens at most ``K // ceil((P + O) / bs)`` run at once and nothing is preempted.
"""

from __future__ import annotations

import pytest

from servecalc.engines import get_engine
from servecalc.sim import Engine, simulate
from servecalc.engines import ADMISSIONS
from servecalc.sim.workload import make_workload
from servecalc.speculation import speculation

# 40 blocks of 16 tokens; 12 requests of 100 + 220 tokens = 20 blocks each when done.
BLOCKS, PROMPT, OUTPUT, N = 40, 100, 220, 12


def _run(admission: str, policy: str, spec: bool = False):
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=BLOCKS, block_size=16,
                    max_batch=64, max_batched_tokens=4096, admission=admission,
                    speculative=speculation("eagle3") if spec else None)
    work = make_workload([0.0] * N, [PROMPT] * N, [OUTPUT] * N)
    return simulate(engine, work, policy=policy)


@pytest.mark.parametrize("policy", ["continuous", "chunked"])
def test_reserve_runs_what_fits_whole_and_never_preempts(policy):
    r = _run("reserve", policy)
    # 40 // ceil(320 / 16) = 2 sequences at once, every one of them to the end
    assert r.peak_batch == 2
    assert r.preemptions == 0
    assert r.output_tokens == N * OUTPUT


@pytest.mark.parametrize("policy", ["continuous", "chunked"])
def test_grow_admits_more_and_preempts_when_they_grow(policy):
    r = _run("grow", policy)
    # each prompt takes ceil(100 / 16) = 7 blocks: 5 start together, then run short
    assert r.peak_batch > 2
    assert r.preemptions > 0


def test_speculative_runs_honour_reserve():
    r = _run("reserve", "chunked", spec=True)
    assert r.preemptions == 0 and r.peak_batch <= 2


def test_presets_name_their_admission():
    assert get_engine("vllm").admission == "grow"
    assert get_engine("sglang").admission == "grow"
    assert get_engine("trtllm").admission == "grow"      # see its admission_source
    assert Engine("llama-3.1-8b", "h100-sxm", engine="trtllm",
                  admission="reserve").admission == "reserve"


@pytest.mark.parametrize("bad", ["evict", "", None, 1])
def test_bad_admission_names_the_argument(bad):
    if bad is None:
        return      # None means "the preset's"
    with pytest.raises(ValueError, match="admission"):
        Engine("llama-3.1-8b", "h100-sxm", admission=bad)
    assert "reserve" in ADMISSIONS


def _cli(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    from servecalc.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code or 0, out.getvalue(), err.getvalue()


def test_cli_admission_reserve_never_preempts():
    import json

    # a small pool (a quarter of the GPU): requests of 2,000 + 2,000 tokens
    base = ["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
            "--memory-utilization", "0.25", "--requests", "30", "--rate", "1000",
            "--prompt", "2000", "--output", "2000", "--json"]
    code, out, _ = _cli(base + ["--admission", "reserve"])
    reserve = json.loads(out)
    assert code == 0 and reserve["preemptions"] == 0
    # as many as fit whole: the pool's blocks over ceil(4,000 / 16) blocks each
    assert reserve["peak_batch"] == reserve["kv_blocks"] // 250
    code, out, _ = _cli(base + ["--admission", "grow"])
    grow = json.loads(out)
    assert code == 0 and grow["preemptions"] > 0 and grow["peak_batch"] > reserve["peak_batch"]


def test_cli_bad_admission_exits_2_naming_the_option():
    code, _, err = _cli(["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                         "--admission", "evict"])
    assert code == 2 and "--admission" in err
