"""Expert parallelism for mixture-of-experts models: all-to-all traffic and memory.

**All-to-all per MoE layer.** With expert parallelism over ``ep`` GPUs, the
routed experts are spread evenly and each token goes to ``k`` of them
(``experts_per_token``). Before the experts run, every GPU *dispatches* each
of its tokens' hidden vectors to the GPUs holding the chosen experts; after,
it *combines* the experts' outputs back. A (token, expert) pair lands on
another GPU with probability ``(ep - 1) / ep``, so one GPU sends, per MoE
layer::

    dispatch = tokens_per_gpu * k * (ep - 1) / ep * hidden * dispatch_bytes
    combine  = tokens_per_gpu * k * (ep - 1) / ep * hidden * combine_bytes

and receives the same on average. DeepSeek-V3 dispatches in FP8 and combines
in BF16 (DeepSeek-V3 technical report, arXiv:2412.19437, section 3.3.2), the
defaults here. The count is per (token, expert) pair, an upper bound: kernels
such as DeepEP send a token once per destination node or GPU when several of
its experts live there, and DeepSeek-V3 limits each token to at most four
nodes. The time adds a fixed latency per collective (``latency_s``).

**Memory with data-parallel attention.** Tensor-parallel attention over
multi-head latent attention (MLA) keeps the whole latent KV on every GPU of
the group: the cache is replicated, not split. Data-parallel attention gives
each GPU its own sequences instead (each GPU runs attention for its own
batch), while the routed experts stay split by expert parallelism. Each GPU
then holds the non-expert weights whole and ``1/ep`` of the routed experts,
and the group holds ``gpus`` times the tokens one GPU's budget holds.

>>> t = all_to_all("deepseek-v3", tokens_per_gpu=128, ep=32, link_bytes_per_s=50e9)
>>> t.bytes_per_gpu_per_layer, t.moe_layers
(21331968.0, 58)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .capacity import (DEFAULT_BLOCK_SIZE, DEFAULT_MEMORY_UTILIZATION, DEFAULT_RESERVE_BYTES, fit,
                       usable_bytes)
from .deployment import Deployment, DeploymentLike, GpuLike, as_deployment
from .kv import kv_bytes_per_token
from .models import ModelSpec, get_model
from .params import QUANTIZABLE, _groups_bytes, weight_bytes, weight_groups
from .precision import BITS, bits
from .validate import choice, finite_result, fraction, non_negative_int, non_negative_number, \
    positive_int, positive_number

__all__ = [
    "DEFAULT_A2A_LATENCY_S",
    "AllToAll",
    "a2a_bytes",
    "moe_layers",
    "all_to_all",
    "routed_expert_bytes",
    "ep_weight_bytes_per_gpu",
    "AttentionLayout",
    "attention_layouts",
]

#: Fixed cost of one all-to-all collective: an assumption of the order NCCL and
#: DeepEP report for small messages inside a node (tens of microseconds across
#: nodes). Pass your own measurement.
DEFAULT_A2A_LATENCY_S = 10e-6


def _moe(model: str | ModelSpec) -> ModelSpec:
    spec = get_model(model)
    if not spec.num_experts:
        raise ValueError(f"model must be a mixture of experts, got {spec.id} (dense)")
    return spec


def moe_layers(model: str | ModelSpec) -> int:
    """Decoder layers whose MLP is a mixture of experts.

    >>> moe_layers("deepseek-v3"), moe_layers("mixtral-8x7b")
    (58, 32)
    """
    spec = _moe(model)
    return spec.num_layers - spec.first_dense_layers


@dataclass(frozen=True, kw_only=True)
class AllToAll:
    """Expert-parallel traffic of one GPU for one step."""

    ep: int
    tokens_per_gpu: int
    moe_layers: int
    bytes_per_gpu_per_layer: float   # dispatch + combine sent by one GPU
    seconds_per_layer: float
    seconds_per_step: float


def a2a_bytes(model: str | ModelSpec, *, tokens_per_gpu: float, ep: int,
              dtype: str) -> float:
    """Bytes one GPU sends in one direction (dispatch or combine) of one MoE layer's
    all-to-all: ``tokens_per_gpu x k x (ep - 1) / ep x hidden x bytes(dtype)``, every
    (token, expert) pair that lands on another GPU counted once.

    >>> a2a_bytes("deepseek-v3", tokens_per_gpu=128, ep=32, dtype="fp8")  # 128 x 8 x 31/32 x 7168
    7110656.0
    """
    spec = _moe(model)
    positive_int("ep", ep)
    choice("dtype", dtype, BITS)
    tokens = non_negative_number("tokens_per_gpu", tokens_per_gpu)
    return tokens * spec.experts_per_token * (ep - 1) / ep * spec.hidden_size * bits(dtype) / 8


def all_to_all(
    model: str | ModelSpec,
    *,
    tokens_per_gpu: int,
    ep: int,
    link_bytes_per_s: float,
    dispatch_dtype: str = "fp8",
    combine_dtype: str = "bf16",
    latency_s: float = DEFAULT_A2A_LATENCY_S,
) -> AllToAll:
    """Dispatch and combine traffic of one GPU per MoE layer and per step.

    ``link_bytes_per_s``: what one GPU sends per second to the others (NVLink
    inside a node or an NVL72 rack; its network card across nodes).

    >>> t = all_to_all("mixtral-8x7b", tokens_per_gpu=1, ep=8, link_bytes_per_s=450e9,
    ...                latency_s=0)
    >>> t.bytes_per_gpu_per_layer      # 1 x 2 experts x 7/8 x 4096 x (1 + 2) bytes
    21504.0
    >>> all_to_all("mixtral-8x7b", tokens_per_gpu=1, ep=16, link_bytes_per_s=1e9)
    Traceback (most recent call last):
        ...
    ValueError: ep must divide num_experts (8) of mixtral-8x7b, got 16
    """
    spec = _moe(model)
    tokens = non_negative_int("tokens_per_gpu", tokens_per_gpu)
    positive_int("ep", ep)
    if spec.num_experts % ep:
        raise ValueError(f"ep must divide num_experts ({spec.num_experts}) of {spec.id}, got {ep}")
    rate = positive_number("link_bytes_per_s", link_bytes_per_s)
    choice("dispatch_dtype", dispatch_dtype, BITS)
    choice("combine_dtype", combine_dtype, BITS)
    fixed = non_negative_number("latency_s", latency_s)
    per_layer = (a2a_bytes(spec, tokens_per_gpu=tokens, ep=ep, dtype=dispatch_dtype)
                 + a2a_bytes(spec, tokens_per_gpu=tokens, ep=ep, dtype=combine_dtype))
    seconds = finite_result("all-to-all time", per_layer / rate + (2 * fixed if ep > 1 else 0.0),
                            "link_bytes_per_s and latency_s")
    layers = moe_layers(spec)
    return AllToAll(ep=ep, tokens_per_gpu=tokens, moe_layers=layers,
                    bytes_per_gpu_per_layer=per_layer, seconds_per_layer=seconds,
                    seconds_per_step=seconds * layers)


def routed_expert_bytes(model: str | ModelSpec, weight_dtype: str = "bf16",
                        group_size: int = 128) -> int:
    """Bytes of the routed experts alone (what expert parallelism splits).

    >>> from servecalc.units import fmt_bytes
    >>> fmt_bytes(routed_expert_bytes("mixtral-8x7b"), "GB")
    '90.19 GB'
    """
    _moe(model)
    experts = tuple(g for g in weight_groups(model) if g.name.startswith("moe.experts."))
    return _groups_bytes(experts, weight_dtype, group_size, False, QUANTIZABLE)


def ep_weight_bytes_per_gpu(model: str | ModelSpec, ep: int, weight_dtype: str = "bf16",
                            group_size: int = 128) -> int:
    """Weights on each GPU with data-parallel attention and expert parallelism over ``ep``.

    Everything but the routed experts (attention, embeddings, dense layers,
    shared experts, router) is replicated; the routed experts are split.

    >>> from servecalc.units import fmt_bytes
    >>> fmt_bytes(ep_weight_bytes_per_gpu("mixtral-8x7b", 8), "GB")
    '14.49 GB'
    """
    positive_int("ep", ep)
    spec = _moe(model)
    if spec.num_experts % ep:
        raise ValueError(f"ep must divide num_experts ({spec.num_experts}) of {spec.id}, got {ep}")
    everything = weight_bytes(spec, weight_dtype, group_size)
    experts = routed_expert_bytes(spec, weight_dtype, group_size)
    return everything - experts + math.ceil(experts / ep)


@dataclass(frozen=True, kw_only=True)
class AttentionLayout:
    """KV capacity of a group of GPUs under one attention layout."""

    layout: str                    # "tp" (tensor-parallel attention) or "dp" (data-parallel)
    gpus: int
    weight_bytes_per_gpu: float
    kv_budget_bytes_per_gpu: int
    kv_tokens: int                 # distinct tokens of cache the whole group holds


def attention_layouts(deployment: DeploymentLike, gpu: GpuLike = None, *,
                      memory_utilization: float = DEFAULT_MEMORY_UTILIZATION,
                      reserve_bytes: int = DEFAULT_RESERVE_BYTES,
                      block_size: int = DEFAULT_BLOCK_SIZE
                      ) -> tuple[AttentionLayout, AttentionLayout]:
    """Tensor-parallel against data-parallel attention on the deployment's ``gpus``
    GPUs (routed experts split by expert parallelism in both).

    TP attention: the capacity model of :func:`servecalc.capacity.fit` (for MLA
    every GPU keeps the whole latent, so the group holds what one GPU holds).
    DP attention: each GPU holds its own sequences next to
    :func:`ep_weight_bytes_per_gpu`.

    >>> d = Deployment(model="deepseek-v3", gpu="h200", gpus=8, weight_dtype="fp8")
    >>> tp, dp = attention_layouts(d)
    >>> tp.kv_tokens, dp.kv_tokens
    (702480, 3719296)
    """
    d = as_deployment(deployment, gpu)
    spec, gpus = _moe(d.model), d.gpus
    fraction("memory_utilization", memory_utilization)
    non_negative_int("reserve_bytes", reserve_bytes)
    tp = fit(spec, d.gpu, gpus=gpus, weight_dtype=d.weight_dtype, kv_dtype=d.kv_dtype,
             memory_utilization=memory_utilization, reserve_bytes=reserve_bytes,
             block_size=block_size)
    # With TP every GPU holds its share of every token, so the group holds what one GPU's
    # share holds; for MLA that share is the whole latent (replicated).
    tp_row = AttentionLayout(layout="tp", gpus=gpus, weight_bytes_per_gpu=tp.weight_bytes / gpus,
                             kv_budget_bytes_per_gpu=tp.kv_budget_bytes // gpus,
                             kv_tokens=tp.kv_token_capacity)
    weights = ep_weight_bytes_per_gpu(spec, gpus, d.weight_dtype)
    budget = max(usable_bytes(d.gpu, 1, memory_utilization) - weights - reserve_bytes, 0)
    per_token = kv_bytes_per_token(spec, d.kv_dtype)
    per_gpu_tokens = budget // (block_size * per_token) * block_size
    dp_row = AttentionLayout(layout="dp", gpus=gpus, weight_bytes_per_gpu=float(weights),
                             kv_budget_bytes_per_gpu=budget, kv_tokens=per_gpu_tokens * gpus)
    return tp_row, dp_row
