"""Expert parallelism and data-parallel attention in the step model.

A :class:`~servecalc.deployment.Deployment` with ``ep > 1`` splits a mixture
of experts' routed experts over ``ep`` GPUs instead of sharding every expert
like tensor parallelism; with ``dp_attention`` each GPU also runs attention
for its own sequences with the attention weights whole (SGLang's "DP
attention", TensorRT-LLM's "attention DP"; DeepSeek's inference system runs
both, DeepSeek-V3 technical report, arXiv:2412.19437, section 3.4). What the
step then times, on the busiest GPU:

* **dispatch and combine**: two all-to-alls per MoE layer
  (:func:`servecalc.moe.a2a_bytes`: ``tokens x k x (ep - 1) / ep x hidden``
  values per GPU, dispatched in FP8 and combined in BF16 as DeepSeek-V3
  does), over the link that carries them (:func:`a2a_link`): the scale-up
  link (NVLink; a whole NVL72 rack) while ``ep`` fits in one scale-up
  domain, else the per-GPU network (InfiniBand/RoCE) for the share of
  pairs that leave the domain;
* **the routed experts**: each GPU holds ``1/gpus`` of the expert slots and
  reads the ones its tokens touch; the busiest GPU gets ``ep_imbalance``
  times the mean work (the rest wait for it). ``redundant_experts``
  replicas (DeepSeek's EPLB: 32 redundant experts in the 32-GPU prefill
  unit, 64 GPUs of redundant and shared experts in the 320-GPU decode unit
  of arXiv:2412.19437 section 3.4) cost memory and are read like the
  originals;
* **attention** with ``dp_attention``: the busiest GPU holds
  ``ceil(sequences / gpus)`` of the step's sequences, its whole KV cache and
  the attention weights (read whole by every GPU); there is no tensor-parallel
  all-reduce. Without it, attention stays tensor-parallel (one all-reduce per
  layer after attention, one per dense MLP).

Prefill steps (steps with prompt tokens) send each token once per remote
scale-up domain and forward it inside (DeepEP's normal kernels); decode steps
send each (token, expert) pair (its low-latency kernels); see
:func:`a2a_seconds`.

In the simulator a data-parallel unit is one replica: its KV blocks are pooled
and its default sequence and token budgets per step are the engine preset's
times the GPUs (one scheduler rank per GPU), with the sequences assumed spread
evenly over the ranks (the busiest holds ``ceil(sequences / gpus)``).

Not modelled: overlap of the all-to-all with computation (DeepSeek's and
SGLang's two-batch overlap hides much of it at large batch, so the
all-to-all terms are an upper bound there), and the imbalance of prompt
lengths across data-parallel ranks.

>>> from servecalc.deployment import Deployment
>>> d = Deployment(model="deepseek-v3", gpu="h200", gpus=32, ep=32, dp_attention=True,
...                weight_dtype="fp8")
>>> a2a_link(d.gpu, 32)
(7, 24)
>>> Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=2, ep=2)
Traceback (most recent call last):
    ...
ValueError: ep must be 1 for llama-3.1-8b: it is not a mixture of experts, got 2
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .gpus import GpuSpec, get_gpu
from .models import ModelSpec, get_model
from .moe import DEFAULT_A2A_LATENCY_S, a2a_bytes
from .validate import fraction, instance, non_negative_int, non_negative_number, positive_int

if TYPE_CHECKING:
    from .capacity import FitResult
    from .deployment import Deployment

#: Precisions of the two all-to-alls: DeepSeek-V3 dispatches FP8 and combines BF16
#: (arXiv:2412.19437, section 3.3.2), as DeepEP's kernels do.
DISPATCH_DTYPE = "fp8"
COMBINE_DTYPE = "bf16"


def check_expert_parallel(d: Deployment) -> None:
    """Validate a deployment's ``ep``, ``dp_attention``, ``ep_imbalance`` and
    ``redundant_experts`` (called by ``Deployment`` itself).

    >>> from servecalc.deployment import Deployment
    >>> Deployment(model="deepseek-v3", gpu="h200", gpus=8, ep=3)
    Traceback (most recent call last):
        ...
    ValueError: ep must divide gpus (8), got 3
    >>> Deployment(model="mixtral-8x7b", gpu="h100-sxm", gpus=16, ep=16)
    Traceback (most recent call last):
        ...
    ValueError: ep must divide the expert slots of mixtral-8x7b (8 routed + 0 redundant), got 16
    """
    from .deployment import Deployment

    ep = positive_int("ep", instance("d", d, Deployment).ep)
    if not isinstance(d.dp_attention, bool):
        raise ValueError(f"dp_attention must be True or False, got {d.dp_attention!r}")
    imbalance = d.ep_imbalance
    if isinstance(imbalance, bool) or not isinstance(imbalance, (int, float)) or not (
            1.0 <= imbalance <= 1e3):
        raise ValueError(f"ep_imbalance must be a number in [1, 1000] (the busiest GPU's "
                         f"expert load over the mean), got {imbalance!r}")
    redundant = non_negative_int("redundant_experts", d.redundant_experts)
    spec = d.model
    if not spec.num_experts:
        for name, value, plain in (("ep", ep, 1), ("dp_attention", d.dp_attention, False),
                                   ("redundant_experts", redundant, 0)):
            if value != plain:
                raise ValueError(f"{name} must be {plain} for {spec.id}: it is not a mixture "
                                 f"of experts, got {value!r}")
        return
    if d.gpus % ep:
        raise ValueError(f"ep must divide gpus ({d.gpus}), got {ep}")
    if redundant and ep == 1:
        raise ValueError(f"redundant_experts must be 0 without expert parallelism (ep = 1), "
                         f"got {redundant}")
    slots = spec.num_experts + redundant
    if slots % ep:
        raise ValueError(f"ep must divide the expert slots of {spec.id} ({spec.num_experts} "
                         f"routed + {redundant} redundant), got {ep}")
    domain = d.gpu.scale_up_gpus or d.gpus
    if ep > domain and d.gpu.scale_out_bytes_per_s <= 0:
        raise ValueError(f"ep must be at most {domain} on {d.gpu.name}: the catalog lists no "
                         f"network between its {domain}-GPU scale-up domains, got {ep}")
    if d.gpus > domain and not d.dp_attention:
        raise ValueError(f"dp_attention must be on for {d.gpus} GPUs of {d.gpu.name}: tensor-"
                         f"parallel attention is modelled within one {domain}-GPU scale-up "
                         "domain only")


def expert_options(model: str | ModelSpec, ep: int, dp_attention: bool) -> dict:
    """``ep`` and ``dp_attention`` checked once for a search over GPU counts (``plan``,
    ``frontier``): the keyword arguments of each candidate's Deployment.

    >>> expert_options("deepseek-v3", 8, True)
    {'ep': 8, 'dp_attention': True}
    >>> expert_options("llama-3.1-8b", 2, False)
    Traceback (most recent call last):
        ...
    ValueError: ep must be 1 for llama-3.1-8b: it is not a mixture of experts, got 2
    """
    spec = get_model(model)
    positive_int("ep", ep)
    if not isinstance(dp_attention, bool):
        raise ValueError(f"dp_attention must be True or False, got {dp_attention!r}")
    if not spec.num_experts:
        for name, value, plain in (("ep", ep, 1), ("dp_attention", dp_attention, False)):
            if value != plain:
                raise ValueError(f"{name} must be {plain} for {spec.id}: it is not a mixture "
                                 f"of experts, got {value!r}")
    return {"ep": ep, "dp_attention": dp_attention}


def a2a_link(gpu: GpuSpec, ep: int) -> tuple[int, int]:
    """How one GPU's peers in an ``ep``-GPU group split: ``(inside its scale-up domain,
    across the network)``. An ``ep`` no larger than the domain stays inside it.

    >>> from servecalc.gpus import get_gpu
    >>> a2a_link(get_gpu("gb200"), 72), a2a_link(get_gpu("h100-sxm"), 72)
    ((71, 0), (7, 64))
    """
    gpu = get_gpu(gpu)
    positive_int("ep", ep)
    domain = min(gpu.scale_up_gpus or ep, ep)
    return domain - 1, ep - domain


def a2a_seconds(d: Deployment, tokens_per_gpu: float, dtype: str,
                latency_s: float = DEFAULT_A2A_LATENCY_S, *, per_node: bool = False) -> float:
    """Seconds of one direction of one MoE layer's all-to-all for one GPU sending
    ``tokens_per_gpu`` tokens: the pairs inside the scale-up domain over its link and
    those leaving it over the network run at once, plus a fixed latency.

    ``per_node``: the network carries each token once per remote domain it is routed
    to, and the scale-up link forwards it to the experts there -- DeepEP's "normal"
    kernels, which SGLang and DeepSeek run for prefill (DeepEP README; SGLang blog
    2025-05-05). A token's ``k`` experts, routed uniformly over ``m`` domains, reach
    ``(m - 1) (1 - (1 - 1/m)^k)`` remote ones on average. Decode's low-latency kernels
    send every (token, expert) pair on its own (the default).

    >>> from servecalc.deployment import Deployment
    >>> d = Deployment(model="deepseek-v3", gpu="h100-sxm", gpus=16, ep=16, dp_attention=True)
    >>> # 128 x 8 x 15/16 x 7168 fp8 bytes, 8/15 of them across nodes at 50 GB/s, + 10 us
    >>> round(a2a_seconds(d, 128, "fp8") * 1e6, 1)
    83.4
    >>> # once per remote node: 128 tokens x (1 - (1/2)^8) of the other node x 7168 B, + 10 us
    >>> round(a2a_seconds(d, 128, "fp8", per_node=True) * 1e6, 1)
    28.3
    """
    from .deployment import Deployment

    ep = instance("d", d, Deployment).ep
    non_negative_number("tokens_per_gpu", tokens_per_gpu)
    non_negative_number("latency_s", latency_s)
    if ep == 1:
        return 0.0
    inside, across = a2a_link(d.gpu, ep)
    volume = a2a_bytes(d.model, tokens_per_gpu=tokens_per_gpu, ep=ep, dtype=dtype)
    if per_node and across:
        domains = ep / (inside + 1)
        k = d.model.experts_per_token
        remote = (domains - 1) * (1 - (1 - 1 / domains) ** k)
        pairs_remote = k * (ep - 1) / ep
        near = volume / d.gpu.interconnect_bytes_per_s      # forwarded inside the domains
        far = volume * remote / pairs_remote / d.gpu.scale_out_bytes_per_s
        return max(near, far) + latency_s
    near = volume * inside / (ep - 1) / d.gpu.interconnect_bytes_per_s
    far = volume * across / (ep - 1) / d.gpu.scale_out_bytes_per_s if across else 0.0
    return max(near, far) + latency_s


def busiest_share(d: Deployment, sequences: int) -> float:
    """Share of a step's sequences (and work) on the busiest GPU: ``ceil(s / gpus) / s``
    with data-parallel attention, ``1 / gpus`` under tensor parallelism.

    >>> from servecalc.deployment import Deployment
    >>> d = Deployment(model="deepseek-v3", gpu="h200", gpus=8, ep=8, dp_attention=True)
    >>> busiest_share(d, 1), busiest_share(d, 16), busiest_share(d, 17)
    (1.0, 0.125, 0.17647058823529413)
    """
    from .deployment import Deployment

    instance("d", d, Deployment)
    non_negative_int("sequences", sequences)
    if not d.dp_attention or sequences <= 0:
        return 1.0 / d.gpus
    return math.ceil(sequences / d.gpus) / sequences


def routed_expert_flops_per_token(spec: ModelSpec) -> float:
    """FLOPs one token spends in its routed experts, all MoE layers (2 per multiply-add).

    >>> routed_expert_flops_per_token("deepseek-v3") / 1e9   # 2 x 58 x 8 x 3 x 7168 x 2048
    40.869298176
    """
    from .params import weight_groups

    spec = get_model(spec)
    return 2.0 * sum(g.in_features * g.out_features * g.active_count
                     for g in weight_groups(spec) if g.name.startswith("moe.experts."))


def fit_expert_parallel(d: Deployment, *, context: int, memory_utilization: float,
                        reserve_bytes: int | None, block_size: int) -> FitResult:
    """What fits with data-parallel attention or redundant experts (else
    :func:`servecalc.capacity.fit`): each GPU holds the non-expert weights whole
    (data-parallel attention) or ``1/gpus`` of them, ``(experts + redundant) /
    experts / gpus`` of the routed experts, and the whole KV cache of its own
    sequences (data-parallel) or its tensor-parallel share; the unit holds
    ``gpus`` times what one GPU's budget holds.

    >>> from servecalc.deployment import Deployment
    >>> from servecalc.capacity import fit_deployment
    >>> d = Deployment(model="deepseek-v3", gpu="h200", gpus=8, ep=8, dp_attention=True,
    ...                weight_dtype="fp8")
    >>> fit_deployment(d, context=4096).kv_token_capacity > fit_deployment(
    ...     d.replace(dp_attention=False, ep=1), context=4096).kv_token_capacity * 4
    True
    """
    from .capacity import FitResult, _reserve, kv_bytes_per_token_per_gpu, usable_bytes
    from .kv import kv_elements_per_token_per_layer, linear_state_bytes
    from .moe import routed_expert_bytes
    from .paging import _paged_slots
    from .params import weight_bytes
    from .precision import storage_bytes
    from .units import fmt_bytes, fmt_int

    from .deployment import Deployment

    spec, n = instance("d", d, Deployment).model, d.gpus
    fraction("memory_utilization", memory_utilization)
    positive_int("context", context)
    positive_int("block_size", block_size)
    reserve = _reserve(reserve_bytes)
    total = weight_bytes(spec, d.weight_dtype, d.group_size, d.quantize)
    routed = routed_expert_bytes(spec, d.weight_dtype, d.group_size)
    slots = (spec.num_experts + d.redundant_experts) / spec.num_experts
    tp = 1 if d.dp_attention else n
    per_gpu_weights = math.ceil((total - routed) / tp + routed * slots / n)
    usable = usable_bytes(d.gpu, n, memory_utilization)
    per_gpu_budget = max(usable // n - per_gpu_weights - reserve, 0)
    if d.dp_attention:
        per_token = kv_bytes_per_token_per_gpu(spec, 1, d.kv_dtype)
        per_layer = kv_elements_per_token_per_layer(spec)
        state = linear_state_bytes(spec, 1)
        ranks = n
    else:
        per_token = kv_bytes_per_token_per_gpu(spec, n, d.kv_dtype)
        from .capacity import kv_elements_per_token_per_layer_per_gpu

        per_layer = kv_elements_per_token_per_layer_per_gpu(spec, n)
        state = linear_state_bytes(spec, n)
        ranks = 1
    per_gpu_tokens = per_gpu_budget // (block_size * per_token) * block_size
    per_sequence = storage_bytes(per_layer * _paged_slots(spec, context, block_size, peak=True),
                                 d.kv_dtype) + state
    max_batch = per_gpu_budget // per_sequence * ranks
    layout = "data-parallel attention" if d.dp_attention else "tensor-parallel attention"
    reason = (f"{fmt_int(max_batch)} sequences of {fmt_int(context)} tokens fit on {n} x "
              f"{d.gpu.name} ({layout}, {fmt_bytes(per_gpu_budget, 'GiB')} of KV budget per GPU)"
              if max_batch else
              f"weights ({fmt_bytes(per_gpu_weights, 'GiB')} per GPU) and reserve leave "
              f"{fmt_bytes(per_gpu_budget, 'GiB')} per GPU: no sequence of {fmt_int(context)} "
              f"tokens fits ({layout})")
    return FitResult(model=spec.id, gpu=d.gpu.id, gpus=n, context=context,
                     block_size=block_size, usable_bytes=usable,
                     weight_bytes=per_gpu_weights * n, reserve_bytes_per_gpu=reserve,
                     kv_budget_bytes=per_gpu_budget * n, kv_bytes_per_token_per_gpu=per_token,
                     sequence_kv_bytes_per_gpu=per_sequence,
                     kv_token_capacity=per_gpu_tokens * ranks, max_batch=max_batch,
                     reason=reason)
