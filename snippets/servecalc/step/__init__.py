"""The step model: FLOPs, bytes and time of one forward pass (a "step").

A serving engine advances in steps. A *prefill* step runs the prompt (or a
chunk of it) through the model; a *decode* step runs one new token for each
sequence in the batch; a *mixed* step (chunked prefill) does both. One
function times all three, term by term, each term bounded by its own
roofline, then sums them:

``seconds = linear_s + attention_s + kv_write_s + logits_s + comm_s + overhead_s``

* ``linear_s = max(linear FLOPs / (mfu x peak x gpus), weight bytes per GPU /
  (mbu x bandwidth))``: the weight matmuls turn compute-bound once a step
  carries more tokens than about ``ridge x mfu / mbu`` (the linear layers'
  ridge, a few hundred tokens on H100 in bf16);
* ``attention_s = max(attention FLOPs / (mfu x peak x gpus), KV bytes read per
  GPU / (mbu x bandwidth))``: in decode every sequence reads its own cache,
  so attention stays bandwidth-bound whatever the batch; causal prefill is
  compute-bound;
* ``kv_write_s``: the new tokens' cache entries;
* ``logits_s``: the output projection (for one position per sequence) and
  the embedding look-ups;
* ``comm_s``: two tensor-parallel all-reduces per layer of ``tokens x
  hidden_size x 2`` bytes, one-shot on NVLink for small messages, ring for
  large ones and on PCIe (:mod:`servecalc.step.comm`);
* ``overhead_s``: a fixed per-step cost (scheduling, launches, sampling).

Summing separately bounded terms, rather than taking one ``max`` over the
whole step, keeps the compute-bound matmuls from hiding behind the KV reads
at large batch.

What is counted
---------------

FLOPs (a multiply-add is 2 FLOPs):

* linear layers: ``2 x`` the weights a token multiplies by
  (:func:`servecalc.params.matmul_params_per_token`: active attention, MLP and
  expert matrices, routers, the output projection; the embedding look-up is
  not a matmul). In prefill the output projection (``lm_head``) runs for the
  last prompt position only: engines compute logits for that one token.
* attention: per (query, key) pair and layer ``2 x heads x (d_qk + d_v)``.
  Prefill is *causal*: token ``i`` of a chunk attends to the ``past`` tokens
  and to itself and the tokens before it, ``past x chunk + chunk (chunk + 1)
  / 2`` pairs -- about half of the full ``chunk^2`` score matrix. (Some tools
  count the full square; that doubles prefill attention.) Sliding-window
  layers attend to at most ``sliding_window`` tokens. Multi-head latent
  attention (MLA) is counted in its expanded form in prefill (``d_qk =
  qk_nope + qk_rope``, ``d_v = v_head_dim``) and in its absorbed form in
  decode, where scores and values are computed against the cached latent
  (``d_qk = kv_lora_rank + qk_rope``, ``d_v = kv_lora_rank``).

Bytes moved through HBM:

* weights, read once per step. Embedding tables are not read (a look-up
  touches a few rows) unless tied to the output projection. For a mixture of
  experts, ``T`` tokens in a step touch on average ``E (1 - (1 - k/E)^T)``
  distinct routed experts per MoE layer (uniform, independent routing), plus
  the shared experts and the dense layers.
* KV cache: a decode step reads the cache of every token each sequence attends
  to (the new token's entry included: paged engines write it first, then read
  the whole cache) and writes one token per sequence; a prefill chunk reads
  the cache of its ``past`` tokens and writes its own.
* activations are not counted (small next to weights and KV at decode; prefill
  is compute-bound).

Under tensor parallelism weights and FLOPs split evenly over the GPUs; the KV
cache splits over at most ``num_kv_heads`` GPUs (with fewer KV heads than GPUs
the heads are replicated), and an MLA latent is replicated on every GPU.

Compute precision follows the weights: fp8 weights with fp8 activations use
the fp8 peak (where the GPU has one); weight-only int8/int4/fp4 dequantize to
bf16 inside the GEMM, which reaches :data:`WEIGHT_ONLY_COMPUTE_FRACTION` of
the bf16 rate when compute-bound (so their compute-bound batch comes
earlier). Set the deployment's ``compute_dtype`` to ``"int8"`` or ``"fp8"``
for W8A8 kernels (the int8/fp8 peak). Not modelled: kernel-level effects of
shapes (tile quantization), overlap of communication with compute, pipeline
parallelism.

Expert parallelism and data-parallel attention (a deployment's ``ep`` and
``dp_attention``) take their own step function,
:mod:`servecalc.step.expert_terms`: the busiest GPU's terms, with the routed
experts' time as ``expert_s`` and two more named terms per step,
``a2a_dispatch_s`` and ``a2a_combine_s`` (see :mod:`servecalc.expert_parallel`).
With ``ep = 1`` and tensor-parallel attention the step is the one above, unchanged.

A speculative verification step (``K + 1`` query tokens per sequence, logits for
each) is :meth:`StepModel.verify_time_s`; the draft's cost and the method's
acceptance are in :mod:`servecalc.speculation`.

Efficiency defaults and their sources are in :mod:`servecalc.step.constants`;
the per-deployment numbers a step needs (FLOPs per token, weight and KV bytes)
in :mod:`servecalc.step.shape`; :class:`StepModel` in :mod:`servecalc.step.model`;
one-call forms in :mod:`servecalc.step.api`.

>>> from servecalc.units import fmt_duration, fmt_number
>>> d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", mbu=0.62, mfu=0.45, overhead_s=0.0003)
>>> r = step(d, phase="decode", batch=1, context=1024)
>>> r.bound
'memory'
>>> fmt_duration(r.seconds, "ms", digits=2)
'7.59 ms'
>>> p = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=4096)
>>> p.bound, fmt_number(p.arithmetic_intensity, 0)
('compute', '3,961')
"""

from .api import bandwidth_utilization, crossover_batch, flops_utilization, prefill_chunk, step
from .comm import allreduce_s, transfer_per_link_s
from .constants import (
    DEFAULT_MBU,
    DEFAULT_MFU,
    DEFAULT_OVERHEAD_S,
    PHASES,
    WEIGHT_ONLY_COMPUTE_FRACTION,
    efficiencies,
)
from .model import StepModel, StepResult
from ..deployment import COMPUTE_DTYPES, Deployment, default_compute_dtype

__all__ = [
    "COMPUTE_DTYPES", "DEFAULT_MBU", "DEFAULT_MFU", "DEFAULT_OVERHEAD_S", "PHASES",
    "WEIGHT_ONLY_COMPUTE_FRACTION", "Deployment", "StepModel", "StepResult",
    "allreduce_s", "bandwidth_utilization", "crossover_batch", "default_compute_dtype",
    "efficiencies", "flops_utilization", "prefill_chunk", "step", "transfer_per_link_s",
]
