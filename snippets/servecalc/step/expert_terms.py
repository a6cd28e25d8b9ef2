"""The step's terms under expert parallelism and data-parallel attention.

:class:`~servecalc.step.StepModel` hands a step to :meth:`ExpertTerms.time`
when its deployment has ``ep > 1`` or ``dp_attention`` (the plain path is
untouched, so ``ep = 1`` reproduces it exactly). Every term is the busiest
GPU's (see :mod:`servecalc.expert_parallel` for what is modelled):

``seconds = linear_s + attention_s + kv_write_s + logits_s + comm_s + overhead_s
+ a2a_dispatch_s + a2a_combine_s``, with ``linear_s = dense part + expert_s``.

>>> from servecalc.deployment import Deployment
>>> from servecalc.step import StepModel
>>> d = Deployment(model="deepseek-v3", gpu="h200", gpus=8, weight_dtype="fp8", engine="ideal")
>>> tp, ep = StepModel(d), StepModel(d.replace(ep=8, dp_attention=True))
>>> t = ep.terms(128, 128 * 2048)
>>> t.a2a_dispatch_s > 0 and t.a2a_combine_s > t.a2a_dispatch_s   # bf16 back, fp8 out
True
>>> t.seconds == (t.linear_s + t.attention_s + t.kv_write_s + t.logits_s + t.comm_s
...               + t.overhead_s + t.a2a_dispatch_s + t.a2a_combine_s)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..deployment import Deployment
from ..expert_parallel import (COMBINE_DTYPE, DISPATCH_DTYPE, a2a_seconds, busiest_share,
                               routed_expert_flops_per_token)
from .comm import ACTIVATION_BYTES, allreduce_s
from .constants import WEIGHT_ONLY_COMPUTE_FRACTION, allreduce_extra_s, weight_only
from .shape import Shape

if TYPE_CHECKING:
    from .model import StepModel, StepResult


class ExpertTerms:
    """What does not change from step to step, for one expert-parallel deployment."""

    def __init__(self, d: Deployment, c: Shape) -> None:
        self.d = d
        spec = d.model
        self.expert_flops_per_token = (routed_expert_flops_per_token(spec)
                                       if spec.num_experts else 0.0)
        # redundant replicas of a touched expert are read as well
        self.slot_factor = ((spec.num_experts + d.redundant_experts) / spec.num_experts
                            if spec.num_experts else 1.0)
        # non-expert weights: whole on every GPU (data-parallel attention) or split
        self.dense_split = 1 if d.dp_attention else d.gpus
        self.imbalance = float(d.ep_imbalance)
        # tensor-parallel attention: one all-reduce per layer after attention and one
        # per dense MLP (the MoE layers' expert outputs come back by the combine)
        layers = c.layers_full + c.layers_window
        self.allreduces = 0 if d.dp_attention or d.gpus == 1 else (
            layers + spec.first_dense_layers)
        self.allreduce_extra = allreduce_extra_s(d)
        self.comm: dict[int, float] = {}

    def _comm_s(self, sm: StepModel, tokens: int) -> float:
        if not self.allreduces:
            return 0.0
        seconds = self.comm.get(tokens)
        if seconds is None:
            seconds = self.comm[tokens] = self.allreduces * (allreduce_s(
                tokens * sm._c.hidden * ACTIVATION_BYTES, self.d.gpus,
                sm._c.interconnect_bytes_per_s) + self.allreduce_extra)
        return seconds

    def time(self, sm: StepModel, *, tokens: int, sequences: int, pair_flops: float,
             kv_read_tokens_layers: float, kv_write_tokens: int,
             record: tuple[str, int] | None) -> StepResult | float:
        """The busiest GPU's terms of one step (see the module docstring): their sum, or
        with ``record`` the step's :class:`~servecalc.step.StepResult` (as ``StepModel._time``)."""
        c, d, per_byte = sm._c, self.d, sm._per_byte
        n = d.gpus
        share = busiest_share(d, sequences)
        peak1 = c.peak_flops_per_s * sm.mfu
        linear_peak1 = peak1 * (WEIGHT_ONLY_COMPUTE_FRACTION if weight_only(d) else 1.0)
        # non-expert matmuls (attention projections, dense MLPs, shared experts, routers)
        dense_flops = tokens * (c.linear_flops_per_token - self.expert_flops_per_token)
        dense_bytes = c.dense_weight_bytes / self.dense_split
        dense_compute = dense_flops * share / linear_peak1
        dense_memory = dense_bytes * per_byte
        # routed experts: 1/n of the slots per GPU; the busiest GPU does imbalance x mean
        expert_total = 0.0
        if c.expert_bytes:
            e, k = c.num_experts, c.experts_per_token
            distinct = e * (1.0 - (1.0 - k / e) ** tokens)
            expert_total = c.expert_bytes * c.moe_layers * distinct * self.slot_factor
        expert_flops = tokens * self.expert_flops_per_token
        expert_compute = expert_flops / n / linear_peak1
        expert_memory = expert_total / n * per_byte
        expert_s = self.imbalance * max(expert_compute, expert_memory)
        linear_s = max(dense_compute, dense_memory) + expert_s
        # attention on the busiest GPU: its share of the sequences (data-parallel) or
        # its tensor-parallel share of every sequence
        kv_fraction = share if d.dp_attention else c.kv_gpu_fraction
        kv_read = kv_read_tokens_layers * c.kv_bytes_per_token_layer
        kv_write = kv_write_tokens * sm._layers * c.kv_bytes_per_token_layer
        attention_compute = pair_flops * share / peak1
        attention_memory = kv_read * kv_fraction * per_byte
        attention_s = max(attention_compute, attention_memory)
        kv_write_s = kv_write * kv_fraction * per_byte
        logits_flops = sequences * c.lm_head_flops_per_token
        logits_bytes = (c.lm_head_bytes / self.dense_split
                        + tokens * share * c.hidden * ACTIVATION_BYTES)
        logits_s = max(logits_flops * share / peak1, logits_bytes * per_byte)
        comm_s = self._comm_s(sm, tokens)
        sent = tokens * share   # tokens the busiest GPU dispatches
        layers = c.moe_layers
        # a step with prompt tokens runs DeepEP's normal kernels (once per node), a
        # decode-only step the low-latency ones (once per expert)
        normal = tokens > sequences
        dispatch_s = (layers * a2a_seconds(d, sent, DISPATCH_DTYPE, per_node=normal)
                      if c.moe_layers else 0.0)
        combine_s = (layers * a2a_seconds(d, sent, COMBINE_DTYPE, per_node=normal)
                     if c.moe_layers else 0.0)
        seconds = (linear_s + attention_s + kv_write_s + logits_s + comm_s + sm.overhead_s
                   + dispatch_s + combine_s)
        if record is None:
            return seconds
        flops = dense_flops + expert_flops + pair_flops + logits_flops
        per_gpu = (dense_bytes + expert_total / n + logits_bytes
                   + (kv_read + kv_write) * kv_fraction)
        return sm._record(
            record, tokens, seconds=seconds, linear_s=linear_s, attention_s=attention_s,
            kv_write_s=kv_write_s, logits_s=logits_s, comm_s=comm_s,
            linear_compute_bound=dense_compute + expert_compute >= dense_memory + expert_memory,
            attention_compute_bound=attention_compute >= attention_memory,
            flops=flops, weight_bytes=dense_bytes * n + expert_total + c.lm_head_bytes,
            kv_read_bytes=kv_read, kv_write_bytes=kv_write, bytes_per_gpu=per_gpu,
            compute_s=flops / (peak1 * n), memory_s=per_gpu * per_byte,
            expert_s=expert_s, a2a_dispatch_s=dispatch_s, a2a_combine_s=combine_s,
        )
