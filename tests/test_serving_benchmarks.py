"""The published serving measurements (fieldguide/validation/serving_benchmarks.json)."""

from __future__ import annotations

import copy
import re

import pytest

from fieldguide.validation.serving import KINDS, by_id, check_row, load
from servecalc.catalog import entries


def test_every_row_is_well_formed_sourced_and_unique():
    rows = load()
    assert len(rows) >= 100
    assert {r["kind"] for r in rows} == set(KINDS)
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", row["source"]["date"]), row["id"]
        assert row["gpus"] >= row["tp"], row["id"]


def test_expressible_rows_name_catalog_ids_and_the_rest_say_why():
    models = {e["id"] for e in entries("models")}
    gpus = {e["id"] for e in entries("gpus")}
    rows = load()
    expressible = [r for r in rows if r["expressible"]]
    assert len(expressible) >= 100
    assert all(r["model"] in models and r["gpu"] in gpus for r in expressible)
    assert all(r["reason"] for r in rows if not r["expressible"])
    # pipeline parallelism is outside the library: such rows are never expressible; expert
    # parallelism is expressible (issue 20) only where the row says how it runs
    assert not [r["id"] for r in expressible if r.get("pp", 1) > 1]
    assert not [r["id"] for r in expressible if r["ep"] and not r.get("expert_parallel")]
    assert all(r["expressible"] and r["ep"] and isinstance(r["dp_attention"], bool)
               for r in rows if r.get("expert_parallel"))


@pytest.mark.parametrize(("row_id", "metric", "value"), [
    # TensorRT-LLM perf overview (v1.0 page), Llama 3.1 8B, H100 TP1 FP8, 128/128: 28,312 tokens/s
    ("trtllm-v1.0-llama-3.1-8b-h100-sxm-tp1-fp8-128-128", "output_tokens_per_s_per_gpu", 28312),
    # same page, Llama 3.3 70B, H100 TP2 FP8, 128/128: 6,378 tokens/s in total over 2 GPUs
    ("trtllm-v1.0-llama-3.1-70b-h100-sxm-tp2-fp8-128-128", "output_tokens_per_s_per_gpu", 3189),
    # developer-guide page (per GPU), GPT-OSS 20B, B200 TP1, 1000/1000: 53,812 tokens/s/GPU
    ("trtllm-dg-gpt-oss-20b-b200-tp1-fp4-1000-1000", "output_tokens_per_s_per_gpu", 53812),
    # NVIDIA NIM benchmarking, Llama 3.3 70B on 2 x H100 FP8, 5000/500, concurrency 1
    ("nim-1.8.0-llama-3.1-70b-h100-sxm-tp2-fp8-5000-500-c1", "ttft_ms_mean", 406.77),
    ("nim-1.8.0-llama-3.1-70b-h100-sxm-tp2-fp8-5000-500-c1", "tpot_ms_mean", 18.58),
    # InferenceX run 26306422380 (2026-05-22): DeepSeek-R1 FP8, SGLang, 8 x B200, one user:
    # mean TPOT 0.00718 s, mean TTFT 0.160 s
    ("imx-dsr1-b200-sglang-fp8-none-tp8-ep1-1024-1024-c1-2026-05-22", "tpot_ms_mean", 7.1835),
    ("imx-dsr1-b200-sglang-fp8-none-tp8-ep1-1024-1024-c1-2026-05-22", "ttft_ms_mean", 160.3592),
])
def test_rows_carry_the_published_values(row_id, metric, value):
    assert by_id(row_id)["measured"][metric] == pytest.approx(value)


def test_fixed_concurrency_rows_obey_littles_law():
    """C clients, each request TTFT + (output - 1) x TPOT long: output tokens/s =
    C x output / that time. An independent check of each transcription (the
    sources print the three numbers separately). Lengths drawn between r x N and
    N (``random_range_ratio`` r) average (1 + r) / 2 x N; the runs' ramp-up and
    drain stay within 8 %."""
    rows = [r for r in load() if r["kind"] == "fixed_concurrency"
            and {"ttft_ms_mean", "tpot_ms_mean", "output_tokens_per_s_per_gpu"} <= set(r["measured"])]
    assert rows
    for row in rows:
        m = row["measured"]
        output = (1 + row.get("random_range_ratio", 1.0)) / 2 * row["output_tokens"]
        seconds = (m["ttft_ms_mean"] + (output - 1) * m["tpot_ms_mean"]) / 1000
        predicted = row["concurrency"] * output / seconds / row["gpus"]
        assert predicted == pytest.approx(m["output_tokens_per_s_per_gpu"], rel=0.08), row["id"]


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "offline"}, "kind must be one of max_throughput, fixed_concurrency, got 'offline'"),
    ({"model": "no-such-model"}, "names a model or GPU outside the catalog"),
    ({"concurrency": 8}, "a max_throughput row has concurrency null, got 8"),
    ({"measured": {"tokens": 3.0}}, "measured metric must be one of"),
    ({"source": {"title": "t", "url": "u"}}, "source must give title, url and date"),
    ({"expressible": False}, "is not expressible and gives no reason"),
    ({"tp": 0}, "tp must be a positive integer, got 0"),
])
def test_check_row_names_what_is_wrong(change, message):
    row = copy.deepcopy(by_id("trtllm-v1.0-llama-3.1-8b-h100-sxm-tp1-fp8-128-128"))
    row.update(change)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_row(row)
