"""The step model: FLOPs, bytes and time of one forward pass (a "step").

A serving engine advances in steps. A *prefill* step runs the prompt (or a
chunk of it) through the model; a *decode* step runs one new token for each
sequence in the batch. This package counts what a step does and turns it into
seconds with a roofline:

``seconds = max(compute_s, memory_s) + comm_s + overhead_s``

where

* ``compute_s = flops / (mfu * peak_flops_per_s * gpus)``,
* ``memory_s = bytes_per_gpu / (mbu * hbm_bandwidth_bytes_per_s)``,
* ``comm_s`` is the tensor-parallel all-reduce time (two all-reduces per layer
  of ``tokens x hidden_size x 2`` bytes; ring: ``2 (n-1)/n x size / link
  bandwidth`` plus ``2 (n-1)`` hops of latency),
* ``overhead_s`` is a fixed per-step cost (scheduling, kernel launches).

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
bf16 and use the bf16 peak. Pass ``compute_dtype`` to override (``"int8"`` for
W8A8 SmoothQuant-style kernels).

Efficiency defaults and their sources are in :mod:`servecalc.step.constants`;
the per-deployment numbers a step needs (FLOPs per token, weight and KV bytes)
in :mod:`servecalc.step.shape`; :class:`StepModel` in :mod:`servecalc.step.model`;
one-call forms in :mod:`servecalc.step.api`.

>>> from servecalc.units import fmt_duration, fmt_number
>>> r = step("llama-3.1-8b", "h100-sxm", phase="decode", batch=1, context=1024)
>>> r.bound
'memory'
>>> fmt_duration(r.seconds, "ms", digits=2)
'7.53 ms'
>>> p = step("llama-3.1-8b", "h100-sxm", phase="prefill", batch=1, context=4096)
>>> p.bound, fmt_number(p.arithmetic_intensity, 0)
('compute', '3,961')
"""

from .api import bandwidth_utilization, crossover_batch, flops_utilization, prefill_chunk, step
from .constants import (
    ACTIVATION_BYTES,
    DEFAULT_ALLREDUCE_HOP_LATENCY_S,
    DEFAULT_MBU,
    DEFAULT_MFU,
    DEFAULT_OVERHEAD_S,
    PHASES,
)
from .model import StepModel, StepResult, StepTerms
from ..deployment import COMPUTE_DTYPES, Deployment, default_compute_dtype

__all__ = [
    "ACTIVATION_BYTES", "COMPUTE_DTYPES", "DEFAULT_ALLREDUCE_HOP_LATENCY_S", "DEFAULT_MBU",
    "DEFAULT_MFU", "DEFAULT_OVERHEAD_S", "PHASES", "Deployment", "StepModel", "StepResult",
    "StepTerms", "bandwidth_utilization", "crossover_batch", "default_compute_dtype",
    "flops_utilization", "prefill_chunk", "step",
]
