"""Chapters topology, latency, batching, KV cache and quantization: cells and placeholders.

* every ``pycell`` section these pages include exists and runs without an
  error (the same runner the build uses), and the KV-cache page keeps its
  first two cells;
* the non-trivial logic in the prose modules.

What each cell and placeholder prints is pinned by the golden test
(``tests/test_golden.py``): a sentence that drifts from the cell it repeats
shows up there as one of the two moving.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldguide.cells import display_text, run_cell
from fieldguide.prose import batching as pb
from fieldguide.prose import kv_cache as pk
from fieldguide.prose import latency as pl
from fieldguide.prose import quantization as pq
from fieldguide.prose import topology as pt

from .nav import chapters
from .snippet_sections import snippet_section

ROOT = Path(__file__).resolve().parent.parent
#: This file's chapters: the guide's first five, in mkdocs.yml's nav order (the golden
#: test runs every page's cells).
PAGES = chapters()[:5]
INCLUDE = re.compile(r'--8<-- "pages/(?P<file>[\w.]+):(?P<name>\w+)"')


def includes(page: str) -> list[tuple[str, str]]:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [(m.group("file"), m.group("name")) for m in INCLUDE.finditer(text)]


def cell_output(path: str, name: str) -> str:
    return display_text(run_cell(snippet_section(path, name)))


CELLS = [(page, f, n) for page in PAGES for f, n in includes(page)]


@pytest.mark.parametrize("page, path, name", CELLS, ids=[f"{p}:{n}" for p, _, n in CELLS])
def test_every_included_cell_runs(page, path, name):
    result = run_cell(snippet_section(f"pages/{path}", name))
    if name == "bad_input":
        assert (result["error"] or "").startswith("ValueError: "), result
    else:
        assert result["error"] is None, f"{page}: cell {name} raised {result['error']}"
        assert result["stdout"].strip(), f"{page}: cell {name} printed nothing"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_several_live_cells(page):
    assert len(includes(page)) >= 5


def test_kv_cache_page_keeps_its_first_two_cells():
    # The browser test edits these two cells; their order and output are fixed.
    assert includes("kv-cache.md")[:2] == [("kv_cache.py", "per_token"), ("kv_cache.py", "gqa")]
    assert "524,288 B per token" in cell_output("pages/kv_cache.py", "per_token")


def test_chart_data_sections_exist():
    assert ("batching.py", "roofline_chart_data") in includes("batching.md")
    assert ("batching.py", "throughput_chart_data") in includes("batching.md")
    assert ("latency.py", "latency_throughput_chart_data") in includes("latency.md")


def test_mla_cache_is_the_latent_and_the_rope_key():
    # DeepSeek-V3 report, section 2.1.1: a 512-value latent plus a 64-value
    # decoupled RoPE key per layer, 61 layers, 2 bytes each: 576 x 61 x 2 B.
    assert "70,272 B per token" in cell_output("pages/kv_cache.py", "mla")
    assert pk.kv_bytes_per_token("deepseek-v3") == "70,272 B"


# --------------------------------------------------------------------------- prose logic

def test_crossover_wording():
    # The linear layers' crossover does not depend on the context (attention reads
    # each sequence's own cache and never turns compute-bound).
    assert pb.crossover("llama-3.1-8b", "h100-sxm", context=4096) == pb.crossover(
        "llama-3.1-8b", "h100-sxm", context=128)
    assert pb.crossover("llama-3.1-8b", "h100-sxm", context=128).replace(",", "").isdigit()


def test_min_tp_grows_with_precision_and_refuses_the_impossible():
    tps = [int(pq.min_tp("llama-3.1-70b", "h100-sxm", d, 8192, 32)) for d in ("int4", "fp8", "bf16")]
    assert tps == sorted(tps)
    with pytest.raises(ValueError, match="do not fit on 8 GPUs"):
        pq.min_tp("llama-3.1-405b", "l4", "bf16", 8192, 32)


def test_mla_and_window_helpers_refuse_models_without_the_feature():
    with pytest.raises(ValueError, match="multi-head latent attention"):
        pk.mla_reduction("llama-3.1-8b")
    with pytest.raises(ValueError, match="sliding-window"):
        pk.window_saving("llama-3.1-8b", 8192)


def test_window_saving_is_zero_inside_the_window():
    assert pk.window_saving("mistral-7b", 4096) == "0.0 %"


def test_swap_is_per_gpu_share():
    one = pk.swap_time("llama-3.1-70b", 8192, bandwidth_bytes_per_s=50e9, gpus=1)
    four = pk.swap_time("llama-3.1-70b", 8192, bandwidth_bytes_per_s=50e9, gpus=4)
    assert float(four.split()[0]) * 4 == pytest.approx(float(one.split()[0]), rel=0.01)


def test_topology_helpers_validate_arguments():
    with pytest.raises(ValueError, match="bandwidth_bytes_per_s"):
        pt.weight_load_time("llama-3.1-8b", bandwidth_bytes_per_s=0)
    with pytest.raises(ValueError, match="tokens must be an integer >= 1"):
        pt.moe_weight_read_gb("mixtral-8x7b", 0)


def test_latency_helpers():
    assert pl.slo_limit("mlperf-llama2-70b-interactive", "ttft") == "450 ms"
    with pytest.raises(ValueError, match="which must be one of"):
        pl.slo_limit("mlperf-llama2-70b-server", "e2e")
    with pytest.raises(ValueError, match="passages must be an integer >= 0"):
        pl.rag_prefill(-1)
