"""One group of weight tensors: the record parameter counts are built from.

:mod:`servecalc.params` sums these over a model;
:mod:`servecalc.attention_weights` builds the attention layers' groups.

>>> g = group("attn.q_proj", "linear", 4096, 4096, count=32)
>>> g.part, g.params
('attention', 536870912)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import ModelSpec

#: Kinds of weight tensors; only ``"linear"`` is quantized below 16 bits.
KINDS = ("linear", "embedding", "lm_head", "router", "norm", "bias")

#: The part a matrix belongs to, by the first component of its name (the rest: "mlp").
_PARTS = {"attn": "attention", "linear_attn": "attention", "moe": "experts"}


@dataclass(frozen=True, kw_only=True)
class WeightGroup:
    """``count`` tensors of shape (``in_features`` x ``out_features``).

    Vectors (norm weights, biases) have ``in_features == 1``.
    ``active_count`` is how many of them one token uses (MoE: routed experts).
    """

    name: str
    kind: str
    in_features: int
    out_features: int
    count: int
    active_count: int
    part: str = ""  # for matrices: "attention", "mlp" or "experts" (see params.QUANTIZABLE)

    @property
    def params(self) -> int:
        """Parameters held by all ``count`` tensors."""
        return self.in_features * self.out_features * self.count

    @property
    def active_params(self) -> int:
        """Parameters one token uses."""
        return self.in_features * self.out_features * self.active_count


def group(
    name: str, kind: str, in_features: int, out_features: int, count: int = 1,
    active_count: int | None = None,
) -> WeightGroup:
    """A :class:`WeightGroup`; a matrix's part follows from its name.

    >>> group("moe.shared_experts.up_proj", "linear", 7168, 2048).part
    'mlp'
    """
    part = ""
    if kind == "linear":
        part = _PARTS.get(name.split(".", 1)[0], "mlp")
        if name.startswith("moe.shared"):
            part = "mlp"
    return WeightGroup(
        name=name,
        kind=kind,
        in_features=in_features,
        out_features=out_features,
        count=count,
        active_count=count if active_count is None else active_count,
        part=part,
    )


def norm_size(spec: ModelSpec, width: int) -> int:
    """Parameters of one norm over ``width`` values (LayerNorm has a bias too).

    >>> from servecalc.models import get_model
    >>> norm_size(get_model("opt-13b"), 5120), norm_size(get_model("llama-2-7b"), 4096)
    (10240, 4096)
    """
    return 2 * width if spec.norm == "layernorm" else width
