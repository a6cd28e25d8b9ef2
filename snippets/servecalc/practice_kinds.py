"""The kinds of practice question (:mod:`servecalc.practice`): what each draws and computes.

Each kind's ``draw(rng)`` picks a variant with integer and choice draws only
and returns a :class:`Draft`: the question's text, the unit of the answer, the
exact value (from the library's own functions) and the worked answer, whose
first lines are the whiteboard estimate with its numbers and whose last line
is the exact value and what the full model adds to the estimate.

The pools are chosen so that the whiteboard path the worked answer shows lands
within the kind's tolerance for every seed (``tests/test_practice.py`` checks a
few hundred seeds of each kind against its own derivation).

>>> [k.id for k in KIND_LIST][:3]
['weights', 'gpus_needed', 'kv_per_token']
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .capacity import DEFAULT_MEMORY_UTILIZATION, DEFAULT_RESERVE_BYTES, fit
from .cost import cost_per_million_tokens
from .deployment import Deployment
from .gpus import get_gpu
from .kv import kv_bytes_per_sequence, kv_bytes_per_token
from .latency import request_latency
from .models import get_model
from .moe import routed_expert_bytes
from .params import active_weight_bytes, param_count, weight_bytes
from .precision import bits, bits_per_value
from .prices import get_price
from .speculative import expected_tokens_per_step, speedup
from .step import StepModel
from .step.constants import DEFAULT_MBU, DEFAULT_MFU, DEFAULT_OVERHEAD_S
from .validate import positive_int

#: Dense, full-attention models (no sliding window): the estimates hold for all of them.
DENSE = ("llama-2-7b", "llama-2-13b", "llama-3.1-8b", "llama-3.1-70b", "qwen2.5-7b",
         "qwen2.5-72b", "qwen3-8b", "qwen3-32b")
SMALL_DENSE = ("llama-2-7b", "llama-3.1-8b", "qwen2.5-7b", "qwen3-8b")
MOE = ("mixtral-8x7b", "qwen3-30b-a3b", "qwen3-235b-a22b", "deepseek-v3", "gpt-oss-120b",
       "llama-4-scout")
KV_MODELS = DENSE + ("deepseek-v3", "kimi-k2")
GPUS = ("h100-sxm", "h200", "b200", "a100-80gb", "mi300x")
PRICED_GPUS = ("h100-sxm", "a100-80gb", "h100-pcie")
TP = (1, 2, 4, 8)
GB = 1e9
#: The questions state the roofline's assumptions (the efficiencies below, a fixed
#: overhead per step, no engine scheduler), so their exact values use the ideal preset.
ENGINE = "ideal"

STEP_ASSUMPTIONS = (f"Assume the kernels reach {DEFAULT_MBU * 100:g} % of peak memory bandwidth "
                    f"and {DEFAULT_MFU * 100:g} % of peak FLOP/s, plus {DEFAULT_OVERHEAD_S * 1e3:g} ms of "
                    "fixed overhead per step.")


@dataclass(frozen=True, kw_only=True)
class Draft:
    """One drawn variant, before :mod:`servecalc.practice` adds its kind and seed."""

    text: str
    unit: str
    exact: float
    worked: tuple[str, ...]
    inputs: dict  # what was drawn (model, gpu, gpus, lengths...), for JSON and tests


@dataclass(frozen=True, kw_only=True)
class Kind:
    """A kind of question: its ID, title, chapter, tolerance and draw function."""

    id: str
    title: str
    chapter: str
    tolerance: float
    draw: Callable[[random.Random], Draft]
    slack: float = 0.0


def _n3(value: float) -> str:
    """Three significant figures with separators (what the worked answers print).

    >>> _n3(1234.5), _n3(0.5), _n3(70.55)
    ('1,230', '0.5', '70.5')
    """
    from .practice import sig  # the one formatter; imported late (practice imports us)

    return sig(value)


def _name(model: str) -> str:
    return get_model(model).name


def _gpu_line(gpu: str) -> str:
    g = get_gpu(gpu)
    return (f"{g.name}: {_n3(g.memory_bytes / GB)} GB, {_n3(g.hbm_bandwidth_bytes_per_s / 1e12)} TB/s, "
            f"{_n3(g.bf16_flops_per_s / 1e12)} dense BF16 TFLOP/s")


def smallest_tp(model: str, gpu: str, context: int, batch: int, weight_dtype: str = "bf16"
                ) -> int | None:
    """Fewest GPUs in :data:`TP` that hold ``batch`` sequences of ``context`` tokens (None: none).

    >>> smallest_tp("llama-3.1-70b", "h100-sxm", 4096, 1)
    2
    """
    positive_int("batch", batch)
    for gpus in TP:
        if fit(model, gpu, gpus=gpus, context=context, weight_dtype=weight_dtype).max_batch >= batch:
            return gpus
    return None


def _serving(rng: random.Random, models: tuple[str, ...], gpus: tuple[str, ...], context: int,
             batch: int) -> tuple[str, str, int]:
    """A (model, GPU, GPU count) that holds ``batch`` x ``context`` tokens on at most 8 GPUs."""
    while True:
        model, gpu = rng.choice(models), rng.choice(gpus)
        count = smallest_tp(model, gpu, context, batch)
        if count is not None:
            return model, gpu, count


# ------------------------------------------------------------------ memory

def _embedding_params(model: str) -> int:
    """Input embedding plus output projection (one matrix when tied)."""
    spec = get_model(model)
    return spec.vocab_size * spec.hidden_size * (1 if spec.tie_word_embeddings else 2)


def _weights(rng: random.Random) -> Draft:
    model, dtype = rng.choice(DENSE + MOE), rng.choice(("bf16", "fp8", "int4"))
    params, embeddings = param_count(model), _embedding_params(model)
    exact = weight_bytes(model, dtype) / GB
    per = bits_per_value(dtype) / 8
    text = (f"{_name(model)} has {_n3(params / 1e9)} B parameters. How many GB (10^9 bytes) do its "
            f"weights take in {dtype.upper()}?")
    if dtype == "bf16":
        worked = (f"Weights = parameters x bytes per parameter = {_n3(params / 1e9)} B x 2 B "
                  f"= {_n3(params * 2 / GB)} GB.",)
    else:
        text += (f" The embedding and output matrices ({_n3(embeddings / 1e9)} B parameters) stay in "
                 "BF16" + ("; INT4 weights carry a 16-bit scale per group of 128, so 4.125 bits "
                           "each." if dtype == "int4" else "."))
        worked = (f"Quantized: ({_n3(params / 1e9)} - {_n3(embeddings / 1e9)}) B x {per:g} B = "
                  f"{_n3((params - embeddings) * per / GB)} GB; embeddings: {_n3(embeddings / 1e9)} B x "
                  f"2 B = {_n3(embeddings * 2 / GB)} GB.",
                  f"Weights = {_n3(((params - embeddings) * per + embeddings * 2) / GB)} GB "
                  f"(not {_n3(params * bits(dtype) / 8 / GB)} GB: small models carry a large "
                  "share of embeddings).")
    return Draft(inputs=dict(model=model, weight_dtype=dtype), text=text, unit="GB", exact=exact,
                 worked=worked + (f"Exact: {_n3(exact)} GB (servecalc counts each tensor; norms "
                                  "and routers stay in BF16 too).",))


def _gpus_needed(rng: random.Random) -> Draft:
    context = rng.choice((4096, 8192, 32768))
    while True:
        model, gpu, dtype = rng.choice(DENSE), rng.choice(GPUS), rng.choice(("bf16", "fp8"))
        count = smallest_tp(model, gpu, context, 1, dtype)
        if count is not None and count > 1 or (count == 1 and rng.randrange(3) == 0):
            break
    g = get_gpu(gpu)
    weights = weight_bytes(model, dtype)
    usable = DEFAULT_MEMORY_UTILIZATION * g.memory_bytes
    return Draft(
        inputs=dict(model=model, gpu=gpu, weight_dtype=dtype, context=context),
        text=(f"How many {g.name} GPUs (1, 2, 4 or 8, tensor parallel) does {_name(model)} need in "
              f"{dtype.upper()}, with room for one {context:,}-token sequence? The server may use "
              f"90 % of each GPU's {_n3(g.memory_bytes / GB)} GB."),
        unit="GPUs", exact=float(count),
        worked=(f"Weights: {_n3(weights / GB)} GB; each GPU may use 0.9 x {_n3(g.memory_bytes / GB)} "
                f"= {_n3(usable / GB)} GB, so the weights alone need "
                f"{_n3(weights / usable)} GPUs' worth.",
                "Round up to the next count that divides the attention heads (1, 2, 4, 8), and "
                "check the KV of one sequence fits in what is left.",
                f"Exact: {count} (servecalc's fit also keeps 1.5 GiB per GPU for activations)."))


def _kv_per_token(rng: random.Random) -> Draft:
    model, dtype = rng.choice(KV_MODELS), rng.choice(("bf16", "fp8"))
    spec = get_model(model)
    per = bits(dtype) / 8
    exact = kv_bytes_per_token(model, dtype) / 1024
    if spec.kv_lora_rank:
        width = spec.kv_lora_rank + spec.qk_rope_head_dim
        text = (f"{spec.name} uses multi-head latent attention: each of its {spec.num_layers} layers "
                f"caches a {spec.kv_lora_rank}-wide latent and a {spec.qk_rope_head_dim}-wide "
                f"rotary key per token. How many KiB of KV cache does one token take in "
                f"{dtype.upper()}?")
        steps = (f"KV per token = layers x (latent + rotary key) x bytes = {spec.num_layers} x "
                 f"{width} x {per:g} B = {_n3(spec.num_layers * width * per / 1024)} KiB.",)
    else:
        text = (f"{spec.name} has {spec.num_layers} layers, {spec.num_kv_heads} KV heads and a head "
                f"dimension of {spec.head_dim}. How many KiB of KV cache does one token take in "
                f"{dtype.upper()}?")
        steps = (f"KV per token = 2 (K and V) x layers x KV heads x head dim x bytes = 2 x "
                 f"{spec.num_layers} x {spec.num_kv_heads} x {spec.head_dim} x {per:g} B = "
                 f"{_n3(2 * spec.num_layers * spec.num_kv_heads * spec.head_dim * per / 1024)} KiB.",)
    return Draft(inputs=dict(model=model, kv_dtype=dtype), text=text, unit="KiB", exact=exact,
                 worked=steps + (f"Exact: {_n3(exact)} KiB ({kv_bytes_per_token(model, dtype):,} B).",))


def _kv_per_request(rng: random.Random) -> Draft:
    model = rng.choice(DENSE)
    prompt, output = rng.choice((2000, 4000, 8000, 30000, 100000)), rng.choice((500, 1000, 2000))
    spec = get_model(model)
    per_token = kv_bytes_per_token(model)
    exact = kv_bytes_per_sequence(model, prompt + output) / GB
    return Draft(
        inputs=dict(model=model, prompt=prompt, output=output),
        text=(f"A request to {spec.name} ({spec.num_layers} layers, {spec.num_kv_heads} KV heads of "
              f"{spec.head_dim}) has a {prompt:,}-token prompt and {output:,} output tokens. How "
              "many GB of BF16 KV cache does it hold at its last token?"),
        unit="GB", exact=exact,
        worked=(f"KV per token = 2 x {spec.num_layers} x {spec.num_kv_heads} x {spec.head_dim} x 2 B "
                f"= {per_token:,} B.",
                f"Tokens = {prompt:,} + {output:,} = {prompt + output:,}; KV = "
                f"{prompt + output:,} x {per_token:,} B = {_n3(exact)} GB.",
                f"Exact: {_n3(exact)} GB."))


def _max_batch(rng: random.Random) -> Draft:
    context = rng.choice((2048, 4096, 8192, 16384))
    model, gpu, count = _serving(rng, DENSE, GPUS, context, 4)
    g, spec = get_gpu(gpu), get_model(model)
    result = fit(model, gpu, gpus=count, context=context)
    weights, per_token = result.weight_bytes, kv_bytes_per_token(model)
    reserve = DEFAULT_RESERVE_BYTES / 2**30
    free = DEFAULT_MEMORY_UTILIZATION * g.memory_bytes * count - weights - DEFAULT_RESERVE_BYTES * count
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, context=context),
        text=(f"{spec.name} in BF16 ({_n3(weights / GB)} GB) on {count} x {g.name} "
              f"({_n3(g.memory_bytes / GB)} GB each; the server may use 90 % and keeps {reserve:g} GiB "
              f"per GPU for activations). KV per token is {per_token:,} B. How many sequences of "
              f"{context:,} tokens fit at once?"),
        unit="sequences", exact=float(result.max_batch),
        worked=(f"Free for KV = 0.9 x {count} x {_n3(g.memory_bytes / GB)} GB - {_n3(weights / GB)} GB "
                f"of weights - {count} x {_n3(DEFAULT_RESERVE_BYTES / GB)} GB = {_n3(free / GB)} GB.",
                f"One sequence = {context:,} x {per_token:,} B = {_n3(context * per_token / GB)} GB; "
                f"{_n3(free / GB)} / {_n3(context * per_token / GB)} = {_n3(free / (context * per_token))}.",
                f"Exact: {result.max_batch:,} whole sequences (servecalc counts whole 16-token "
                "blocks per GPU)."))


# ------------------------------------------------------------------ time

def _decode_step(rng: random.Random) -> Draft:
    batch, context = rng.choice((1, 8, 32, 64)), rng.choice((1024, 4096, 8192))
    model, gpu, count = _serving(rng, DENSE, GPUS, context, batch)
    g = get_gpu(gpu)
    sm = StepModel(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE))
    exact = sm.decode(batch, context).seconds * 1e3
    weights, kv = weight_bytes(model), batch * context * kv_bytes_per_token(model)
    bw = DEFAULT_MBU * g.hbm_bandwidth_bytes_per_s * count
    estimate = (weights + kv) / bw * 1e3 + DEFAULT_OVERHEAD_S * 1e3
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, batch=batch, context=context),
        text=(f"{_name(model)} in BF16 on {count} x {_gpu_line(gpu)}. How many milliseconds does one "
              f"decode step take for a batch of {batch} sequences of {context:,} tokens? "
              + STEP_ASSUMPTIONS),
        unit="ms", exact=exact,
        worked=(f"Decode is memory-bound: it reads the weights ({_n3(weights / GB)} GB) and every "
                f"sequence's KV ({batch} x {context:,} x {kv_bytes_per_token(model):,} B = "
                f"{_n3(kv / GB)} GB).",
                f"Time = {_n3((weights + kv) / GB)} GB / ({DEFAULT_MBU:g} x {count} x "
                f"{_n3(g.hbm_bandwidth_bytes_per_s / 1e12)} TB/s) + {DEFAULT_OVERHEAD_S * 1e3:g} ms "
                f"= {_n3(estimate)} ms.",
                f"Exact: {_n3(exact)} ms (servecalc also times the attention and logits, the "
                "tensor-parallel all-reduces, and skips the embedding table, which is not read)."))


def _prefill(rng: random.Random) -> Draft:
    prompt = rng.choice((1024, 2048, 4096, 8192))
    model, gpu, count = _serving(rng, DENSE, GPUS, prompt, 1)
    g = get_gpu(gpu)
    params = param_count(model)
    exact = request_latency(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE),
                            prompt=prompt, output=1).ttft_s * 1e3
    flops = 2 * params * prompt
    estimate = flops / (DEFAULT_MFU * g.bf16_flops_per_s * count) * 1e3
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, prompt=prompt),
        text=(f"{_name(model)} ({_n3(params / 1e9)} B parameters) in BF16 on {count} x "
              f"{_gpu_line(gpu)}. What is the time to first token, in milliseconds, for one "
              f"{prompt:,}-token prompt on an idle server? " + STEP_ASSUMPTIONS),
        unit="ms", exact=exact,
        worked=(f"Prefill is compute-bound: 2 x parameters x tokens = 2 x {_n3(params / 1e9)} B x "
                f"{prompt:,} = {_n3(flops / 1e12)} TFLOP.",
                f"Time = {_n3(flops / 1e12)} TFLOP / ({DEFAULT_MFU:g} x {count} x "
                f"{_n3(g.bf16_flops_per_s / 1e12)} TFLOP/s) = {_n3(estimate)} ms.",
                f"Exact: {_n3(exact)} ms (servecalc adds the attention FLOPs, which grow with the "
                "prompt squared, the all-reduces and the step overhead)."))


def _e2e(rng: random.Random) -> Draft:
    prompt, output = rng.choice((500, 1000, 2000)), rng.choice((200, 500, 1000))
    model, gpu, count = _serving(rng, DENSE, GPUS, prompt + output, 1)
    g = get_gpu(gpu)
    params, weights = param_count(model), weight_bytes(model)
    r = request_latency(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE), prompt=prompt, output=output)
    ttft = 2 * params * prompt / (DEFAULT_MFU * g.bf16_flops_per_s * count)
    tpot = weights / (DEFAULT_MBU * g.hbm_bandwidth_bytes_per_s * count) + DEFAULT_OVERHEAD_S
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, prompt=prompt, output=output),
        text=(f"{_name(model)} ({_n3(params / 1e9)} B parameters, {_n3(weights / GB)} GB in BF16) on "
              f"{count} x {_gpu_line(gpu)}. One request alone: a {prompt:,}-token prompt and "
              f"{output:,} output tokens. How many seconds from arrival to its last token? "
              + STEP_ASSUMPTIONS),
        unit="s", exact=r.e2e_s,
        worked=(f"TTFT = 2 x {_n3(params / 1e9)} B x {prompt:,} / ({DEFAULT_MFU:g} x {count} x "
                f"{_n3(g.bf16_flops_per_s / 1e12)} TFLOP/s) = {_n3(ttft * 1e3)} ms.",
                f"TPOT = {_n3(weights / GB)} GB / ({DEFAULT_MBU:g} x {count} x "
                f"{_n3(g.hbm_bandwidth_bytes_per_s / 1e12)} TB/s) + {DEFAULT_OVERHEAD_S * 1e3:g} ms "
                f"= {_n3(tpot * 1e3)} ms.",
                f"End to end = TTFT + (output - 1) x TPOT = {_n3(ttft * 1e3)} ms + {output - 1} x "
                f"{_n3(tpot * 1e3)} ms = {_n3(ttft + (output - 1) * tpot)} s.",
                f"Exact: {_n3(r.e2e_s)} s (TTFT {_n3(r.ttft_s * 1e3)} ms, TPOT "
                f"{_n3(r.tpot_s * 1e3)} ms with the KV reads and all-reduces)."))


def _throughput(rng: random.Random) -> Draft:
    batch, prompt, output = rng.choice((8, 16, 32, 64)), rng.choice((1000, 2000)), 500
    model, gpu, count = _serving(rng, DENSE, GPUS, prompt + output, batch)
    g = get_gpu(gpu)
    weights, per_token = weight_bytes(model), kv_bytes_per_token(model)
    r = request_latency(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE), prompt=prompt,
                        output=output, batch=batch)
    context = prompt + output // 2
    step = ((weights + batch * context * per_token)
            / (DEFAULT_MBU * g.hbm_bandwidth_bytes_per_s * count) + DEFAULT_OVERHEAD_S)
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, batch=batch, prompt=prompt, output=output),
        text=(f"{_name(model)} in BF16 ({_n3(weights / GB)} GB, {per_token:,} B of KV per token) on "
              f"{count} x {_gpu_line(gpu)}. A batch of {batch} requests decodes together, each with "
              f"a {prompt:,}-token prompt and {output} output tokens. How many output tokens per "
              f"second does the batch produce while it decodes? " + STEP_ASSUMPTIONS),
        unit="tokens/s", exact=r.tokens_per_s,
        worked=(f"Average context {prompt:,} + {output} / 2 = {context:,} tokens; KV read per step = "
                f"{batch} x {context:,} x {per_token:,} B = {_n3(batch * context * per_token / GB)} GB.",
                f"Step = ({_n3(weights / GB)} + {_n3(batch * context * per_token / GB)}) GB / "
                f"({DEFAULT_MBU:g} x {count} x {_n3(g.hbm_bandwidth_bytes_per_s / 1e12)} TB/s) + "
                f"{DEFAULT_OVERHEAD_S * 1e3:g} ms = {_n3(step * 1e3)} ms.",
                f"Throughput = batch / step = {batch} / {_n3(step * 1e3)} ms = {_n3(batch / step)} "
                "tokens/s.",
                f"Exact: {_n3(r.tokens_per_s)} tokens/s (TPOT {_n3(r.tpot_s * 1e3)} ms)."))


# ------------------------------------------------------------------ fleet and cost

def _replicas(rng: random.Random) -> Draft:
    batch, prompt, output = rng.choice((16, 32, 64)), rng.choice((500, 1000, 2000)), rng.choice(
        (200, 400, 800))
    rate = rng.choice((5, 10, 20, 50, 100))
    model, gpu, count = _serving(rng, DENSE, GPUS, prompt + output, batch)
    d = Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE)
    r = request_latency(d, prompt=prompt, output=output, batch=batch)
    per_replica = batch / r.e2e_s
    exact = math.ceil(rate / per_replica)
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, batch=batch, prompt=prompt, output=output, rate=rate, prefill_s=r.ttft_s, tpot_s=r.tpot_s),
        text=(f"Each replica of {_name(model)} ({count} x {get_gpu(gpu).name}) runs batches of "
              f"{batch} requests ({prompt:,}-token prompts, {output} output tokens): prefilling a "
              f"batch takes {_n3(r.ttft_s * 1e3)} ms and each decode step "
              f"{_n3(r.tpot_s * 1e3)} ms. How many replicas serve {rate} requests/s?"),
        unit="replicas", exact=float(exact),
        worked=(f"One batch takes {_n3(r.ttft_s * 1e3)} ms + {output - 1} x {_n3(r.tpot_s * 1e3)} ms "
                f"= {_n3(r.e2e_s)} s, so a replica completes {batch} / {_n3(r.e2e_s)} s = "
                f"{_n3(per_replica)} requests/s.",
                f"Replicas = {rate} / {_n3(per_replica)} = {_n3(rate / per_replica)}, rounded up: "
                f"{exact}.",
                f"Exact: {exact} (one replica either way is graded right; plan headroom on top)."))


def _cost(rng: random.Random) -> Draft:
    batch, prompt, output = rng.choice((8, 32, 64)), 1000, rng.choice((250, 500, 1000))
    model, gpu, count = _serving(rng, DENSE, PRICED_GPUS, prompt + output, batch)
    g, price = get_gpu(gpu), get_price(gpu)
    r = request_latency(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE), prompt=prompt,
                        output=output, batch=batch)
    c = cost_per_million_tokens(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE),
                                price_usd_per_hour=price.price_usd_per_hour, batch=batch,
                                prompt=prompt, output=output)
    hourly = price.price_usd_per_hour * count
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, batch=batch, prompt=prompt, output=output, price_usd_per_hour=price.price_usd_per_hour, tpot_s=r.tpot_s),
        text=(f"{_name(model)} on {count} x {g.name} at ${price.price_usd_per_hour:g} per GPU-hour "
              f"({price.provider}, {price.date}). Batches of {batch} requests ({prompt:,}-token "
              f"prompts, {output:,} output tokens) decode at {_n3(r.tpot_s * 1e3)} ms per step. What do "
              "the output tokens cost, in dollars per million (decode time only, GPUs fully busy)?"),
        unit="$/M tokens", exact=c.usd_per_million_output_tokens,
        worked=(f"The cluster costs {count} x ${price.price_usd_per_hour:g} = ${_n3(hourly)} per hour "
                f"= ${_n3(hourly / 3600 * 1e3)} per 1,000 s.",
                f"It makes {batch} tokens per {_n3(r.tpot_s * 1e3)} ms step = "
                f"{_n3(batch / r.tpot_s)} tokens/s.",
                f"$/M = ${_n3(hourly)} / 3,600 s / {_n3(batch / r.tpot_s)} tokens/s x 10^6 = "
                f"${_n3(hourly / 3600 / (batch / r.tpot_s) * 1e6)}.",
                f"Exact: ${_n3(c.usd_per_million_output_tokens)} per million output tokens."))


# ------------------------------------------------------------------ precision, MoE, speculation

def _quant_speedup(rng: random.Random) -> Draft:
    dtype = rng.choice(("fp8", "int4"))
    model, gpu, count = _serving(rng, DENSE, ("h100-sxm", "h200", "b200"), 1024, 1)
    low = weight_bytes(model, dtype)
    high = weight_bytes(model)
    bw = DEFAULT_MBU * get_gpu(gpu).hbm_bandwidth_bytes_per_s * count

    def step(weight_dtype: str) -> float:
        return StepModel(Deployment(model=model, gpu=gpu, gpus=count, engine=ENGINE,
                                    weight_dtype=weight_dtype)).decode(1, 1024).seconds

    exact = step("bf16") / step(dtype)
    estimate = (high / bw + DEFAULT_OVERHEAD_S) / (low / bw + DEFAULT_OVERHEAD_S)
    return Draft(
        inputs=dict(model=model, gpu=gpu, gpus=count, weight_dtype=dtype),
        text=(f"{_name(model)} on {count} x {_gpu_line(gpu)}. Its weights take {_n3(high / GB)} GB in "
              f"BF16 and {_n3(low / GB)} GB in {dtype.upper()}. How many times faster is a batch-1 "
              f"decode step (1,024 tokens of context) with {dtype.upper()} weights? "
              + STEP_ASSUMPTIONS),
        unit="x", exact=exact,
        worked=(f"At batch 1 a step reads the weights: {_n3(high / GB)} GB / ({DEFAULT_MBU:g} x {count} "
                f"x {_n3(get_gpu(gpu).hbm_bandwidth_bytes_per_s / 1e12)} TB/s) = "
                f"{_n3(high / bw * 1e3)} ms in BF16, {_n3(low / bw * 1e3)} ms in {dtype.upper()}.",
                f"With {DEFAULT_OVERHEAD_S * 1e3:g} ms of overhead each: {_n3((high / bw + DEFAULT_OVERHEAD_S) * 1e3)}"
                f" / {_n3((low / bw + DEFAULT_OVERHEAD_S) * 1e3)} = {_n3(estimate)} x, not "
                f"{_n3(high / low)} x: the fixed costs do not shrink.",
                f"Exact: {_n3(exact)} x (servecalc also reads the KV cache and the BF16 output "
                "projection, which quantization leaves alone)."))


def _moe_active(rng: random.Random) -> Draft:
    model, dtype = rng.choice(MOE), "bf16"
    spec = get_model(model)
    total = param_count(model)
    routed = routed_expert_bytes(model) / 2
    per = bits(dtype) / 8
    shared = total - routed
    estimate = (shared + routed * spec.experts_per_token / spec.num_experts) * per / GB
    exact = active_weight_bytes(model, dtype) / GB
    return Draft(
        inputs=dict(model=model, weight_dtype=dtype),
        text=(f"{spec.name} has {_n3(total / 1e9)} B parameters, of which {_n3(routed / 1e9)} B are "
              f"its {spec.num_experts} routed experts; each token uses {spec.experts_per_token} of "
              f"them. How many GB of {dtype.upper()} weights does one token's forward pass use "
              "(the weights a batch-1 decode step reads)?"),
        unit="GB", exact=exact,
        worked=(f"Always used: {_n3(total / 1e9)} B - {_n3(routed / 1e9)} B = {_n3(shared / 1e9)} B "
                "(attention, shared experts, embeddings).",
                f"Routed: {_n3(routed / 1e9)} B x {spec.experts_per_token} / {spec.num_experts} = "
                f"{_n3(routed * spec.experts_per_token / spec.num_experts / 1e9)} B.",
                f"Active bytes = ({_n3(shared / 1e9)} + "
                f"{_n3(routed * spec.experts_per_token / spec.num_experts / 1e9)}) B x {per:g} B = "
                f"{_n3(estimate)} GB.",
                f"Exact: {_n3(exact)} GB (quantized formats add their scales)."))


def _speculative(rng: random.Random) -> Draft:
    alpha = rng.choice((50, 60, 70, 80, 90)) / 100
    gamma = rng.choice((2, 3, 4, 5, 6))
    ratio = rng.choice((0, 2, 5, 10)) / 100
    tokens = expected_tokens_per_step(alpha, gamma)
    exact = speedup(alpha, gamma, ratio)
    powers = " + ".join(["1", f"{alpha:g}"] + [f"{alpha:g}^{i}" for i in range(2, gamma + 1)])
    return Draft(
        inputs=dict(alpha=alpha, gamma=gamma, cost_ratio=ratio),
        text=(f"A draft model proposes {gamma} tokens per step; the target accepts each with "
              f"probability {alpha:g}, independently. A draft step costs {ratio:g} of a target step. "
              "What is the expected speed-up of decoding over the target alone?"),
        unit="x", exact=exact,
        worked=(f"Tokens per target step = {powers} = (1 - {alpha:g}^{gamma + 1}) / (1 - {alpha:g}) "
                f"= {_n3(tokens)}.",
                f"Each step costs 1 + {gamma} x {ratio:g} = {_n3(1 + gamma * ratio)} target steps.",
                f"Speed-up = {_n3(tokens)} / {_n3(1 + gamma * ratio)} = {_n3(exact)} x.",
                f"Exact: {_n3(exact)} x (Leviathan et al., 2023)."))


KIND_LIST: tuple[Kind, ...] = (
    Kind(id="weights", title="Weight memory", chapter="Serving topology", tolerance=0.10,
         draw=_weights),
    Kind(id="gpus_needed", title="GPUs needed", chapter="Serving topology", tolerance=0.0,
         draw=_gpus_needed),
    Kind(id="kv_per_token", title="KV cache per token", chapter="KV cache", tolerance=0.05,
         draw=_kv_per_token),
    Kind(id="kv_per_request", title="KV cache per request", chapter="KV cache", tolerance=0.10,
         draw=_kv_per_request),
    Kind(id="max_batch", title="Sequences that fit", chapter="KV cache", tolerance=0.20,
         slack=1.0, draw=_max_batch),
    Kind(id="decode_step", title="Decode step time", chapter="Batching", tolerance=0.25,
         draw=_decode_step),
    Kind(id="prefill", title="Prefill time (TTFT)", chapter="Latency", tolerance=0.25,
         draw=_prefill),
    Kind(id="e2e", title="TTFT, TPOT and end-to-end latency", chapter="Latency", tolerance=0.25,
         draw=_e2e),
    Kind(id="throughput", title="Throughput at a batch", chapter="Batching", tolerance=0.20,
         draw=_throughput),
    Kind(id="replicas", title="Replicas for a load", chapter="Cost modelling", tolerance=0.10,
         slack=1.0, draw=_replicas),
    Kind(id="cost", title="Cost per million tokens", chapter="Cost modelling", tolerance=0.20,
         draw=_cost),
    Kind(id="quant_speedup", title="Quantization speed-up", chapter="Quantization", tolerance=0.20,
         draw=_quant_speedup),
    Kind(id="moe_active", title="MoE active bytes", chapter="Serving topology", tolerance=0.10,
         draw=_moe_active),
    Kind(id="speculative", title="Speculative decoding speed-up", chapter="Latency",
         tolerance=0.05, draw=_speculative),
)
