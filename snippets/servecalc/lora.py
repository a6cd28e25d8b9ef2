"""Multi-LoRA serving: adapter sizes and what a batch of adapters adds to a step.

A LoRA adapter of rank ``r`` on a weight matrix of shape (``d_in`` x ``d_out``)
adds two matrices, ``A`` (``d_in`` x ``r``) and ``B`` (``r`` x ``d_out``):
``r x (d_in + d_out)`` parameters per matrix, per layer (Hu et al., "LoRA",
arXiv:2106.09685). Multi-LoRA engines (S-LoRA, arXiv:2311.03285; Punica,
arXiv:2310.18547; vLLM's ``--max-loras``) keep many adapters in memory and
batch requests for different adapters together, each sequence multiplied by
its own ``A`` and ``B``. A decode step then reads the base weights once and
every *distinct* adapter in the batch once, so the extra bytes grow with the
number of distinct adapters, not the batch.

Target names are Hugging Face's: ``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``,
``gate_proj``, ``up_proj``, ``down_proj``.

>>> lora_params("llama-3.1-8b", rank=16, targets=("q_proj", "v_proj"))
6815744
"""

from __future__ import annotations

from collections.abc import Sequence

from .models import ModelSpec, get_model
from .precision import BITS, storage_bytes
from .validate import choice, positive_int

__all__ = ["TARGETS", "lora_params", "lora_bytes", "adapters_step_bytes"]

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def _shape(spec: ModelSpec, target: str) -> tuple[int, int]:
    h, q = spec.hidden_size, spec.num_attention_heads * spec.head_dim
    kv = spec.num_kv_heads * spec.head_dim
    ffn = spec.intermediate_size
    return {
        "q_proj": (h, q), "k_proj": (h, kv), "v_proj": (h, kv), "o_proj": (q, h),
        "gate_proj": (h, ffn), "up_proj": (h, ffn), "down_proj": (ffn, h),
    }[target]


def lora_params(model: str | ModelSpec, rank: int, targets: Sequence[str] = TARGETS) -> int:
    """Parameters of one rank-``rank`` adapter on ``targets`` in every layer (dense models).

    >>> lora_params("llama-3.1-8b", rank=8, targets=["q_proj"])   # 32 x 8 x (4096 + 4096)
    2097152
    >>> lora_params("mixtral-8x7b", rank=8)
    Traceback (most recent call last):
        ...
    ValueError: model must be dense for this adapter model, got mixtral-8x7b (mixture of experts)
    """
    spec = get_model(model)
    if spec.num_experts:
        raise ValueError(f"model must be dense for this adapter model, got {spec.id} "
                         "(mixture of experts)")
    r = positive_int("rank", rank)
    if not targets:
        raise ValueError("targets must name at least one projection, got none")
    total = 0
    for t in targets:
        choice("targets", t, TARGETS)
        d_in, d_out = _shape(spec, t)
        total += r * (d_in + d_out)
    return total * spec.num_layers


def lora_bytes(model: str | ModelSpec, rank: int, targets: Sequence[str] = TARGETS,
               dtype: str = "bf16") -> int:
    """Bytes of one adapter in ``dtype``.

    >>> lora_bytes("llama-3.1-8b", rank=16, targets=("q_proj", "v_proj"))
    13631488
    """
    choice("dtype", dtype, BITS)
    return storage_bytes(lora_params(model, rank, targets), dtype)


def adapters_step_bytes(model: str | ModelSpec, rank: int, distinct_adapters: int,
                        targets: Sequence[str] = TARGETS, dtype: str = "bf16") -> int:
    """Extra bytes a decode step reads when its batch uses ``distinct_adapters`` adapters.

    >>> adapters_step_bytes("llama-3.1-8b", 16, 4, ("q_proj", "v_proj"))
    54525952
    """
    n = positive_int("distinct_adapters", distinct_adapters)
    return n * lora_bytes(model, rank, targets, dtype)
