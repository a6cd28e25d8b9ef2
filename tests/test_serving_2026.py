"""The 2026 additions: MoE all-to-all, attention layouts, offload, routing, context
parallelism, ownership, API pricing, quality checks, LoRA, grammar masks, load
shedding, CUDA-graph padding, tail bounds and TP-vs-replica layouts.

Every expected value is derived here by hand from public figures (cited) or
from first principles, never pasted from the code's output.
"""

from __future__ import annotations

import math

import pytest

from servecalc import (
    admission, api_pricing, context_parallel, cudagraph, layouts, lora, moe, offload, ownership,
    quality, routing, structured, tail_bounds,
)
from servecalc.capacity import fit
from servecalc.deployment import Deployment
from servecalc.speculative import speculative_break_even_batch, speculative_decode


# --------------------------------------------------------------------------- MoE


def test_all_to_all_bytes_for_deepseek_v3():
    # DeepSeek-V3 config.json: hidden_size 7168, num_experts_per_tok 8, 61 layers with
    # first_k_dense_replace 3 -> 58 MoE layers. 128 tokens per GPU, EP32: 31/32 of the
    # (token, expert) pairs leave the GPU; FP8 dispatch (1 byte) + BF16 combine (2 bytes).
    pairs = 128 * 8 * 31 / 32
    expected = pairs * 7168 * (1 + 2)
    t = moe.all_to_all("deepseek-v3", tokens_per_gpu=128, ep=32, link_bytes_per_s=50e9,
                       latency_s=0)
    assert t.moe_layers == 58
    assert t.bytes_per_gpu_per_layer == pytest.approx(expected)
    assert t.seconds_per_step == pytest.approx(58 * expected / 50e9)


def test_all_to_all_single_gpu_sends_nothing():
    t = moe.all_to_all("qwen3-30b-a3b", tokens_per_gpu=64, ep=1, link_bytes_per_s=1e9)
    assert t.bytes_per_gpu_per_layer == 0 and t.seconds_per_step == 0


def test_all_to_all_refuses_dense_models_and_bad_ep():
    with pytest.raises(ValueError, match="mixture of experts"):
        moe.all_to_all("llama-3.1-8b", tokens_per_gpu=1, ep=1, link_bytes_per_s=1e9)
    with pytest.raises(ValueError, match="ep must divide"):
        moe.all_to_all("mixtral-8x7b", tokens_per_gpu=1, ep=3, link_bytes_per_s=1e9)


def test_routed_expert_bytes_of_mixtral():
    # Mixtral-8x7B: 32 layers x 8 experts x 3 matrices of 4096 x 14336, bf16.
    assert moe.routed_expert_bytes("mixtral-8x7b") == 32 * 8 * 3 * 4096 * 14336 * 2


def test_ep_weights_split_only_the_experts():
    experts = 32 * 8 * 3 * 4096 * 14336 * 2
    from servecalc.params import weight_bytes
    rest = weight_bytes("mixtral-8x7b") - experts
    assert moe.ep_weight_bytes_per_gpu("mixtral-8x7b", 8) == rest + experts // 8


def test_dp_attention_holds_more_mla_cache_than_tp():
    tp, dp = moe.attention_layouts(Deployment(model="deepseek-v3", gpu="h200", gpus=8,
                                              weight_dtype="fp8"))
    # TP attention replicates the MLA latent: the group holds what fit() says one GPU holds.
    assert tp.kv_tokens == fit("deepseek-v3", "h200", gpus=8, weight_dtype="fp8").kv_token_capacity
    # DP attention: each GPU its own sequences; its weights are bigger (non-experts whole).
    assert dp.weight_bytes_per_gpu > tp.weight_bytes_per_gpu
    assert dp.kv_tokens % 8 == 0 and dp.kv_tokens > 4 * tp.kv_tokens


# --------------------------------------------------------------------------- offload and routing


def test_pcie5_x16_peak():
    # 32 GT/s x 16 lanes x 128/130 / 8 bits = 63.015 GB/s per direction.
    assert offload.TIERS["cpu-pcie5"].bandwidth_bytes_per_s == pytest.approx(63.015e9, rel=1e-4)


def test_reload_time_of_an_8k_prompt():
    # Llama-3.1-70B: 80 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes = 327,680 B per token.
    kv = 8192 * 80 * 8 * 128 * 2 * 2
    tier = offload.TIERS["remote-rdma-400g"]
    assert offload.reload_time_s("llama-3.1-70b", 8192, tier) == pytest.approx(
        20e-6 + kv / 50e9)


def test_reload_or_recompute_splits_the_load_over_tp():
    d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=2)
    r1 = offload.reload_or_recompute(d, tokens=4096, tier="cpu-pcie5")
    r4 = offload.reload_or_recompute(d.replace(gpus=4), tokens=4096, tier="cpu-pcie5")
    t = offload.TIERS["cpu-pcie5"]
    assert (r1.reload_s - t.latency_s) == pytest.approx(2 * (r4.reload_s - t.latency_s))


def test_kv_aware_routing_hit_rates():
    assert routing.effective_hit_rate(0.8, replicas=4, kv_aware=False) == pytest.approx(0.2)
    # 90 % routed by affinity: 0.9 x 0.8 + 0.1 x 0.8 / 4 = 0.74.
    assert routing.effective_hit_rate(0.8, 4, kv_aware=True, affinity=0.9) == pytest.approx(0.74)
    assert routing.effective_hit_rate(0.0, 4, kv_aware=True) == 0
    assert routing.warmup_misses(12, 6, kv_aware=False) == 72


# --------------------------------------------------------------------------- context parallelism


def test_cp_sends_all_other_shards_kv():
    # Llama-3.1-8B: 32 layers x 8 KV heads x 128 x 2 x 2 bytes = 131,072 B per token.
    r = context_parallel.cp_prefill("llama-3.1-8b", "h100-sxm", prompt=65536, cp=4,
                                    link_bytes_per_s=100e9)
    assert r.kv_bytes_sent_per_gpu == pytest.approx(3 / 4 * 65536 * 131072)
    assert r.compute_s == pytest.approx(r.single_gpu_s / 4)
    assert r.seconds == max(r.compute_s, r.transfer_s)
    assert 1 < r.speedup <= 4


# --------------------------------------------------------------------------- cost


def test_owned_gpu_hour_by_hand():
    # $200,000 over 5 years: 200000 / 43800 h = 4.5662 $/h; 8 kW x 1.5 x $0.12 = 1.44 $/h;
    # $17,520 a year of other costs = 2 $/h. Sum 8.0062 $/h over 8 GPUs.
    got = ownership.owned_usd_per_gpu_hour(server_usd=200_000, gpus_per_server=8, years=5,
                                           power_kw=8, pue=1.5, usd_per_kwh=0.12,
                                           other_usd_per_year=17_520)
    assert got == pytest.approx((200_000 / 43_800 + 8 * 1.5 * 0.12 + 2) / 8)


def test_owning_break_even_and_node_packing():
    assert ownership.owning_break_even_utilization(1.0, 4.0) == 0.25
    p = ownership.node_packing(replica_gpus=2, replicas=5, gpus_per_node=8)
    assert (p.replicas_per_node, p.nodes, p.used_gpus, p.stranded_gpus) == (4, 2, 10, 6)
    assert p.paid_over_used == pytest.approx(16 / 10)
    with pytest.raises(ValueError, match="replica_gpus"):
        ownership.node_packing(replica_gpus=0, replicas=1)


def test_request_usd_with_reasoning_and_cache():
    # 10,000-token prompt, 60 % cached at $0.30/M, rest at $3/M; 400 visible + 4,000
    # reasoning tokens at $15/M.
    got = api_pricing.request_usd(prompt=10_000, answer=400, reasoning=4_000, cached_share=0.6,
                                  input_usd_per_m=3.0, cached_input_usd_per_m=0.30,
                                  output_usd_per_m=15.0)
    assert got == pytest.approx((4_000 * 3.0 + 6_000 * 0.30 + 4_400 * 15.0) / 1e6)


# --------------------------------------------------------------------------- quality


def test_kl_divergence_of_two_coins():
    # KL(Bern(0.5) || Bern(0.25)) = 0.5 ln 2 + 0.5 ln(2/3) = 0.5 ln(4/3).
    assert quality.kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * math.log(4 / 3))


def test_eval_size_matches_the_textbook_formula():
    # Two-proportion sample size (Fleiss), z = 1.95996 + 0.84162: 0.70 vs 0.65.
    z = 1.959964 + 0.841621
    n = math.ceil(z * z * (0.70 * 0.30 + 0.65 * 0.35) / 0.05 ** 2)
    assert quality.eval_questions_needed(0.70, 0.65) == n


def test_flip_rate_and_its_resolution():
    assert quality.flip_rate([5, 6, 7, 8, 9], [5, 0, 7, 0, 9]) == 0.4
    assert quality.flip_rate_resolution(10_000, 0.02) == pytest.approx(
        1.959964 * math.sqrt(0.02 * 0.98 / 10_000), rel=1e-5)


# --------------------------------------------------------------------------- serving features


def test_lora_params_all_targets_llama_8b():
    # Llama-3.1-8B: hidden 4096, q 4096, kv 1024, ffn 14336, 32 layers; rank 8.
    per_layer = 8 * ((4096 + 4096) + 2 * (4096 + 1024) + (4096 + 4096)
                     + 2 * (4096 + 14336) + (14336 + 4096))
    assert lora.lora_params("llama-3.1-8b", rank=8) == 32 * per_layer
    assert lora.adapters_step_bytes("llama-3.1-8b", 8, 3) == 3 * 2 * 32 * per_layer


def test_grammar_mask_cost():
    # 100 sequences, 8 threads -> 13 rounds of 0.5 ms = 6.5 ms; GPU step 5 ms.
    assert structured.constrained_step_s(0.005, 100, 0.5e-3, threads=8) == pytest.approx(0.0065)
    assert structured.constrained_step_s(0.005, 100, 0.5e-3, 8, overlap=False) == pytest.approx(
        0.0115)


def test_load_shedding_bounds():
    # 1.5 s of slack at 4 requests/s: 6 requests may wait ahead.
    assert admission.max_queue_requests(ttft_slo_s=1.8, prefill_s=0.3, requests_per_s=4) == 6
    assert admission.max_queued_prompt_tokens(ttft_slo_s=1.0, prefill_s=0.5,
                                              prefill_tokens_per_s=10_000) == 5_000


def test_cuda_graph_padding_follows_vllm_sizes():
    # vLLM: [1, 2, 4] + [8 * i for i in 1..]; batch 17 -> 24, 5 -> 8, 2 -> 2.
    assert [cudagraph.padded_batch(b) for b in (1, 2, 3, 5, 17, 24, 25)] == [1, 2, 4, 8, 24, 24, 32]
    assert cudagraph.padding_waste(25) == pytest.approx(7 / 32)


def test_cuda_graph_sizes_step_by_16_above_256():
    # vLLM V1, VllmConfig._set_cudagraph_sizes (vllm/config/vllm.py): multiples of 8
    # below 256, then of 16 up to min(2 * max_num_seqs, 512).
    assert cudagraph.padded_batch(250) == 256
    assert cudagraph.padded_batch(257) == 272
    assert cudagraph.padded_batch(500) == 512
    assert cudagraph.padded_batch(513) == 513  # above the largest graph: eager, unpadded
    assert cudagraph.vllm_capture_sizes(max_num_seqs=64)[-1] == 128
    assert cudagraph.padded_batch(129, sizes=cudagraph.vllm_capture_sizes(64)) == 129
    with pytest.raises(ValueError, match="max_num_seqs"):
        cudagraph.vllm_capture_sizes(0)


def test_union_bound_and_a_counterexample_to_summing_p99s():
    assert tail_bounds.stage_quantile_for_total(0.99, 3) == pytest.approx(1 - 0.01 / 3)
    # Two stages each slow with probability 0.009 < 1 %: each p99 is "fast", but a request
    # meets a slow stage with probability 1 - 0.991^2 = 0.017919 > 1 %.
    assert tail_bounds.prob_any_stage_slow([0.009, 0.009]) == pytest.approx(0.017919)


def test_speculation_stops_paying_at_high_batch():
    d = Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4)
    b = speculative_break_even_batch(d, "llama-3.1-8b", alpha=0.8, gamma=4, context=2048)
    assert b is not None and b > 1
    at = speculative_decode(d, "llama-3.1-8b", alpha=0.8, gamma=4, context=2048, batch=b)
    before = speculative_decode(d, "llama-3.1-8b", alpha=0.8, gamma=4, context=2048,
                                batch=b // 2)
    assert at.speedup < 1 <= before.speedup


# --------------------------------------------------------------------------- layouts


def test_layouts_agree_with_fit_and_pick_by_throughput():
    rows = layouts.compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=[2, 4, 8],
                                   context=8192)
    for r in rows:
        assert r.batch == fit("llama-3.1-70b", "h100-sxm", gpus=r.tp, context=8192).max_batch
        assert r.fleet_tokens_per_s == pytest.approx(r.replicas * r.batch / r.step_s)
    assert layouts.best_layout(rows) == max(rows, key=lambda r: r.fleet_tokens_per_s)


def test_layouts_mark_a_batch_that_does_not_fit():
    rows = layouts.compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8, tps=[2, 8],
                                   context=4096, batch=64)
    assert [r.fits for r in rows] == [False, True]


def test_e4m3_limits_from_the_ocp_spec():
    from servecalc import fp8
    # OFP8 1.0, table 1: E4M3 max normal 1.75 x 2^8 = 448, min subnormal 2^-9.
    assert fp8.E4M3_MAX == 448
    assert fp8.E4M3_MIN_SUBNORMAL == 1 / 512
    assert fp8.kv_scale(896.0) == 2.0
    assert fp8.dynamic_range(0.5) == (1 / 1024, 224.0)


# --------------------------------------------------------------------------- CLI


def _cli_json(capsys, argv):
    import json

    from servecalc.cli import main
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_moe_and_own(capsys):
    data = _cli_json(capsys, ["moe", "--model", "mixtral-8x7b", "--tokens-per-gpu", "10",
                              "--ep", "4", "--link-gbps", "800"])
    # 10 tokens x 2 experts x 3/4 remote x 4096 x 3 bytes = 184,320 bytes per layer.
    assert data["bytes_per_gpu_per_layer"] == 184_320
    own = _cli_json(capsys, ["own", "--server-usd", "87600", "--gpus-per-server", "2",
                             "--years", "1", "--power-kw", "2", "--pue", "1.5",
                             "--usd-per-kwh", "0.5", "--rented-usd-per-gpu-hour", "10"])
    # (87,600 / 8,760 + 2 x 1.5 x 0.5) / 2 = (10 + 1.5) / 2 = 5.75 $/GPU-hour.
    assert own["owned_usd_per_gpu_hour"] == pytest.approx(5.75)
    assert own["break_even_utilization"] == pytest.approx(0.575)


def test_cli_refuses_bad_input_with_status_2(capsys):
    from servecalc.cli import main
    assert main(["moe", "--model", "llama-3.1-8b", "--tokens-per-gpu", "1", "--ep", "1",
                 "--link-gbps", "1"]) == 2
    assert "mixture of experts" in capsys.readouterr().err
    assert main(["offload", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--tokens",
                 "0"]) == 2


def test_cli_layouts_agrees_with_the_library(capsys):
    data = _cli_json(capsys, ["layouts", "--model", "llama-3.1-70b", "--gpu", "h100-sxm",
                              "--context", "4096"])
    rows = layouts.compare_layouts("llama-3.1-70b", "h100-sxm", total_gpus=8,
                                   tps=[1, 2, 4, 8], context=4096)
    assert data["best_tp"] == layouts.best_layout(rows).tp
    assert [r["batch"] for r in data["rows"]] == [r.batch for r in rows]
