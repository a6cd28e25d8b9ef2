"""Practice questions (servecalc.practice): every kind's exact value derived here on its own,
the whiteboard path within the stated tolerance for many seeds, determinism, grading, the CLI.

Expected values come from the models' published configurations (the catalog's fields, each
from the model's Hugging Face config.json) and the accelerators' data sheets, with the formulas
written out here, never by calling the function that computes the question's answer.
"""

from __future__ import annotations

import json
import math

import pytest

from servecalc.cli import main
from servecalc.gpus import get_gpu
from servecalc.models import get_model
from servecalc.practice import (DEFAULT_SEED, KINDS, MAX_SEED, check_seed, grade, parse_answer,
                                practice_set, question, sig)
from servecalc.step.constants import DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S

# Seeds spread over the whole range (the page's "another one" draws any of them).
SEEDS = [0, 1, 2, 3] + [i * 6661 % 1_000_000 for i in range(1, 150)]
BYTES = {"bf16": 2, "fp8": 1, "int4": 0.5}
# INT4 with a 16-bit scale per group of 128 weights (GPTQ/AWQ-style): 4 + 16 / 128 bits.
WEIGHT_BYTES = {"bf16": 2, "fp8": 1, "int4": (4 + 16 / 128) / 8}
GIB = 2**30


def relative(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def kv_per_token_bytes(model: str, dtype: str = "bf16") -> float:
    """2 (K and V) x layers x KV heads x head dim x bytes; MLA: layers x (latent + rope) x bytes."""
    m = get_model(model)
    if m.kv_lora_rank:
        return m.num_layers * (m.kv_lora_rank + m.qk_rope_head_dim) * BYTES[dtype]
    return 2 * m.num_layers * m.num_kv_heads * m.head_dim * BYTES[dtype]


def params_of(model: str) -> float:
    """Parameters of a dense decoder from its config: embeddings, attention, gated MLP, norms."""
    m = get_model(model)
    h, layers = m.hidden_size, m.num_layers
    q = m.num_attention_heads * m.head_dim
    kv = m.num_kv_heads * m.head_dim
    attention = h * q + 2 * h * kv + q * h + (q + 2 * kv if m.qkv_bias else 0)
    mlp = 3 * h * m.intermediate_size
    embeddings = m.vocab_size * h * (1 if m.tie_word_embeddings else 2)
    return layers * (attention + mlp + 2 * h) + embeddings + h


# ------------------------------------------------------------------ fixed, cited examples

def test_llama_3_1_70b_kv_per_token_is_320_kib() -> None:
    # Llama-3.1-70B config.json: 80 layers, 8 KV heads, head_dim 128 -> 2 x 80 x 8 x 128 x 2 B.
    seed = next(s for s in range(2000) if question("kv_per_token", s).inputs
                == {"model": "llama-3.1-70b", "kv_dtype": "bf16"})
    assert question("kv_per_token", seed).exact == 2 * 80 * 8 * 128 * 2 / 1024 == 320


def test_deepseek_v3_kv_per_token_is_latent_plus_rope() -> None:
    # DeepSeek-V3 config.json: 61 layers, kv_lora_rank 512, qk_rope_head_dim 64 -> 576 values.
    seed = next(s for s in range(2000) if question("kv_per_token", s).inputs
                == {"model": "deepseek-v3", "kv_dtype": "bf16"})
    assert question("kv_per_token", seed).exact == 61 * 576 * 2 / 1024


def test_llama_2_7b_weights_in_bf16() -> None:
    # Llama-2-7B: 6,738,415,616 parameters (Hugging Face safetensors total) x 2 bytes.
    seed = next(s for s in range(2000) if question("weights", s).inputs
                == {"model": "llama-2-7b", "weight_dtype": "bf16"})
    assert question("weights", seed).exact == pytest.approx(2 * 6_738_415_616 / 1e9, rel=1e-12)


def test_mixtral_active_bytes() -> None:
    # Mixtral-8x7B: 32 layers, hidden 4096, 8 experts of 3 x 4096 x 14336, 2 per token.
    seed = next(s for s in range(2000) if question("moe_active", s).inputs["model"] == "mixtral-8x7b")
    expert = 3 * 4096 * 14336
    total = params_of_moe = 46_702_792_704  # Hugging Face total for Mixtral-8x7B-v0.1
    active = total - 32 * 8 * expert + 32 * 2 * expert
    assert params_of_moe == total
    assert question("moe_active", seed).exact == pytest.approx(2 * active / 1e9, rel=1e-9)


# ------------------------------------------------------------------ every kind, many seeds

def test_at_least_twelve_kinds() -> None:
    assert len(KINDS) >= 12
    chapters = {k.chapter for k in KINDS.values()}
    assert {"Serving topology", "KV cache", "Latency", "Batching", "Cost modelling",
            "Quantization"} <= chapters


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_values_derived_independently(seed: int) -> None:
    q = question("kv_per_token", seed)
    assert q.exact == kv_per_token_bytes(q.inputs["model"], q.inputs["kv_dtype"]) / 1024
    q = question("kv_per_request", seed)
    i = q.inputs
    assert q.exact == (i["prompt"] + i["output"]) * kv_per_token_bytes(i["model"]) / 1e9
    q = question("speculative", seed)
    a, k, c = q.inputs["alpha"], q.inputs["gamma"], q.inputs["cost_ratio"]
    tokens = math.fsum(a ** j for j in range(k + 1))  # 1 + a + ... + a^K
    assert q.exact == pytest.approx(tokens / (1 + k * c), rel=1e-12)
    q = question("replicas", seed)
    i = q.inputs
    per_replica = i["batch"] / (i["prefill_s"] + (i["output"] - 1) * i["tpot_s"])
    assert q.exact == math.ceil(i["rate"] / per_replica)
    q = question("cost", seed)
    i = q.inputs
    tokens_per_s = i["batch"] / i["tpot_s"]
    dollars_per_s = i["price_usd_per_hour"] * i["gpus"] / 3600
    # decode runs (output - 1) steps for output tokens: the first comes with the prefill
    expected = dollars_per_s / tokens_per_s * 1e6 * (i["output"] - 1) / i["output"]
    assert q.exact == pytest.approx(expected, rel=1e-9)


def whiteboard(kind: str, q) -> float:
    """The estimate a candidate makes from the question's facts, derived here."""
    i = q.inputs
    if kind == "weights":
        m = get_model(i["model"])
        if m.num_experts:
            from servecalc.params import param_count
            params = param_count(m)  # MoE totals: the test above pins Mixtral's
        else:
            params = params_of(i["model"])
        embeddings = m.vocab_size * m.hidden_size * (1 if m.tie_word_embeddings else 2)
        return ((params - embeddings) * WEIGHT_BYTES[i["weight_dtype"]] + embeddings * 2) / 1e9
    gpu = get_gpu(i["gpu"]) if "gpu" in i else None
    if kind == "max_batch":
        free = (0.9 * gpu.memory_bytes - 1.5 * GIB) * i["gpus"] - params_of(i["model"]) * 2
        return free / (i["context"] * kv_per_token_bytes(i["model"]))
    bandwidth = DEFAULT_MBU * gpu.hbm_bandwidth_bytes_per_s * i["gpus"] if gpu else 0
    flops = DEFAULT_MFU * gpu.bf16_flops_per_s * i["gpus"] if gpu else 0
    weights = params_of(i["model"]) * 2 if "model" in i and kind != "moe_active" else 0
    if kind == "decode_step":
        kv = i["batch"] * i["context"] * kv_per_token_bytes(i["model"])
        return ((weights + kv) / bandwidth + DEFAULT_OVERHEAD_S) * 1e3
    if kind == "prefill":
        return 2 * params_of(i["model"]) * i["prompt"] / flops * 1e3
    if kind == "e2e":
        ttft = 2 * params_of(i["model"]) * i["prompt"] / flops
        return ttft + (i["output"] - 1) * (weights / bandwidth + DEFAULT_OVERHEAD_S)
    if kind == "throughput":
        context = i["prompt"] + i["output"] / 2
        kv = i["batch"] * context * kv_per_token_bytes(i["model"])
        return i["batch"] / ((weights + kv) / bandwidth + DEFAULT_OVERHEAD_S)
    if kind == "quant_speedup":
        m = get_model(i["model"])
        embeddings = m.vocab_size * m.hidden_size * (1 if m.tie_word_embeddings else 2)
        low = (params_of(i["model"]) - embeddings) * WEIGHT_BYTES[i["weight_dtype"]] + 2 * embeddings
        return ((weights / bandwidth + DEFAULT_OVERHEAD_S)
                / (low / bandwidth + DEFAULT_OVERHEAD_S))
    raise AssertionError(kind)


ESTIMATED = ["weights", "max_batch", "decode_step", "prefill", "e2e", "throughput", "quant_speedup"]


@pytest.mark.parametrize("kind", ESTIMATED)
def test_whiteboard_estimate_is_graded_right(kind: str) -> None:
    """A candidate who follows the method gets every variant right."""
    for seed in SEEDS:
        q = question(kind, seed)
        estimate = whiteboard(kind, q)
        assert q.grade(estimate).correct, (kind, seed, q.inputs, estimate, q.exact)


def test_moe_active_whiteboard() -> None:
    for seed in SEEDS:
        q = question("moe_active", seed)
        m = get_model(q.inputs["model"])
        from servecalc.params import param_count  # the published total, as the question states it
        from servecalc.moe import moe_layers

        routed_per_expert = 3 * m.hidden_size * m.moe_intermediate_size
        routed = moe_layers(m) * m.num_experts * routed_per_expert
        active = param_count(m) - routed + routed * m.experts_per_token / m.num_experts
        assert q.grade(2 * active / 1e9).correct, (seed, q.inputs)


def test_gpus_needed_matches_a_memory_count() -> None:
    for seed in SEEDS:
        q = question("gpus_needed", seed)
        i = q.inputs
        gpu, m = get_gpu(i["gpu"]), get_model(i["model"])
        weights = params_of(i["model"]) * BYTES[i["weight_dtype"]]
        need = next(n for n in (1, 2, 4, 8) if m.num_attention_heads % n == 0 and
                    0.9 * gpu.memory_bytes * n - 1.5 * GIB * n - weights
                    >= i["context"] * kv_per_token_bytes(i["model"]))
        assert q.exact in (need, 2 * need), (seed, i, need)  # 2x: embeddings counted in BF16


# ------------------------------------------------------------------ determinism and grading

@pytest.mark.parametrize("kind", list(KINDS))
def test_same_seed_same_question_and_seeds_vary(kind: str) -> None:
    assert question(kind, 5) == question(kind, 5)
    texts = {question(kind, s).text for s in range(30)}
    assert len(texts) >= 3
    q = question(kind)
    assert q.seed == DEFAULT_SEED and q.worked and q.exact > 0 and math.isfinite(q.exact)
    assert q.grade(q.exact).correct and q.grade(repr(q.exact)).correct
    assert f"{q.unit}" and sig(q.exact) in q.worked[-1]


def test_grading_edges() -> None:
    q = question("throughput", 3)
    assert q.tolerance == 0.20
    assert q.grade(q.exact * 1.199).correct and q.grade(q.exact * 0.801).correct
    assert not q.grade(q.exact * 1.21).correct and not q.grade(q.exact * 0.79).correct
    assert not q.grade(0).correct
    with pytest.raises(ValueError, match="^answer must be a number >= 0"):
        q.grade(-q.exact)
    g = q.grade(q.exact * 1.5)
    assert g.relative_error == pytest.approx(0.5) and "Not yet" in g.verdict()
    assert q.grade(f"{q.exact:,.6f}").correct  # thousands separators are fine
    r = question("replicas", 3)
    assert r.grade(r.exact + 1).correct and r.grade(r.exact - 1).correct
    assert not r.grade(r.exact + 2 + 0.1 * r.exact).correct
    g = question("gpus_needed", 1)
    assert g.grade(g.exact).correct and not g.grade(g.exact * 2).correct


@pytest.mark.parametrize("bad", ["ten", "", "nan", "inf", "1_000", None, [], True, "9" * 50])
def test_bad_answers_name_the_argument(bad) -> None:
    with pytest.raises(ValueError, match="^answer must be a number"):
        parse_answer(bad)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.5, "x", None, True])
def test_bad_seeds(seed) -> None:
    with pytest.raises(ValueError, match="^seed must be a whole number from 0 to 999,999"):
        question("weights", seed)
    assert check_seed(str(MAX_SEED)) == MAX_SEED


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ValueError, match="^kind must be one of 'weights', 'gpus_needed'.*got 'x'"):
        grade("x", 1, 3)


def test_practice_set() -> None:
    questions = practice_set(3)
    assert len(questions) == 3 * len(KINDS)
    assert [q.seed for q in questions[:3]] == [DEFAULT_SEED, DEFAULT_SEED + 1, DEFAULT_SEED + 2]
    with pytest.raises(ValueError, match="^variants must be"):
        practice_set(0)


# ------------------------------------------------------------------ command line

def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list(capsys) -> None:
    code, out, _ = cli(capsys, "practice", "--list")
    assert code == 0 and all(kind in out for kind in KINDS)
    code, out, _ = cli(capsys, "practice", "--list", "--json")
    assert [k["kind"] for k in json.loads(out)] == list(KINDS)


def test_cli_grades_an_answer(capsys) -> None:
    q = question("cost", 7)
    code, out, _ = cli(capsys, "practice", "--kind", "cost", "--seed", "7", "--answer",
                       repr(q.exact * 1.1))
    assert code == 0 and out.startswith(q.title) and q.text in out
    assert "Right:" in out and q.worked[-1] in out
    code, out, _ = cli(capsys, "practice", "--kind", "cost", "--seed", "7", "--answer",
                       repr(q.exact * 2), "--json")
    data = json.loads(out)
    assert code == 0 and data["grade"]["correct"] is False
    assert data["question"]["exact"] == q.exact and data["question"]["text"] == q.text


def test_cli_without_a_terminal_prints_the_question_only(capsys) -> None:
    q = question("kv_per_token", 4)
    code, out, _ = cli(capsys, "practice", "--kind", "kv_per_token", "--seed", "4")
    assert code == 0 and q.text in out and "Worked answer" not in out and "--reveal" in out
    code, out, _ = cli(capsys, "practice", "--kind", "kv_per_token", "--seed", "4", "--json")
    assert "exact" not in json.loads(out)
    code, out, _ = cli(capsys, "practice", "--kind", "kv_per_token", "--seed", "4", "--reveal")
    assert code == 0 and q.worked[0] in out


def test_cli_asks_on_a_terminal(capsys, monkeypatch) -> None:
    import servecalc.cli.practice as practice_cli

    q = question("speculative", 2)
    monkeypatch.setattr(practice_cli, "_ask", lambda unit: repr(q.exact))
    code, out, _ = cli(capsys, "practice", "--kind", "speculative", "--seed", "2")
    assert code == 0 and "Right:" in out


def test_cli_fresh_question_names_its_seed(capsys) -> None:
    code, out, _ = cli(capsys, "practice", "--json")
    data = json.loads(out)
    assert code == 0 and data["kind"] in KINDS and 0 <= data["seed"] <= MAX_SEED
    assert question(data["kind"], data["seed"]).text == data["text"]


@pytest.mark.parametrize("argv, message", [
    (["--kind", "nope"], "argument --kind: kind must be one of"),
    (["--seed", "-1"], "argument --seed: seed must be a whole number"),
    (["--seed", "1e3"], "argument --seed: seed must be a whole number"),
    (["--kind", "weights", "--seed", "1", "--answer", "lots"], "answer must be a number"),
])
def test_cli_bad_values_exit_2(capsys, argv, message) -> None:
    code, _, err = cli(capsys, "practice", *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_cli_help_has_examples(capsys) -> None:
    code, out, _ = cli(capsys, "practice", "--help")
    assert code == 0 and "examples:" in out and "--answer" in out and "?q=decode_step&seed=7" in out
