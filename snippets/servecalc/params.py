"""Parameter counts and weight bytes, exact to the parameter.

The count is built from the architecture, tensor by tensor, the way the
checkpoint stores it: token embeddings, an untied ``lm_head``, learned
position embeddings (OPT), per-layer attention (with query/key/value biases
where the model has them, or the low-rank projections and norms of multi-head
latent attention, or the projections of a linear-attention layer), the MLP
(gated: three matrices; plain: two; biases for OPT and gpt-oss),
mixture-of-experts experts, router and shared experts, dense first layers,
attention sinks, and every norm.

>>> param_count("llama-2-7b")
6738415616
>>> param_count("llama-3.1-8b")
8030261248
>>> round(active_param_count("mixtral-8x7b") / 1e9, 1)   # 2 of 8 experts per token
12.9
>>> weight_bytes("llama-3.1-8b") == 2 * 8030261248
True

Quantized weights (``weight_dtype`` of 8 bits or fewer) follow the common
weight-only convention (GPTQ, AWQ, fp8 checkpoints):

* the linear layers of the decoder blocks (attention projections, MLP and
  expert matrices) are stored in ``weight_dtype``; ``quantize`` names which
  parts (``"attention"``, ``"mlp"``, ``"experts"``; all three by default) so
  that, for example, gpt-oss's MXFP4 checkpoint (experts only) is exact;
* embeddings, the ``lm_head``, norms, biases, convolution weights and MoE
  routers stay in 16 bits (2 bytes each), as every published 4- and 8-bit
  checkpoint keeps them;
* 4-bit formats (``int4``, ``fp4``) add one fp16 scale per ``group_size``
  consecutive input weights of each output row of a quantized matrix
  (``out_features * ceil(in_features / group_size)`` scales per matrix); zero
  points are not counted (symmetric quantization);
* ``nvfp4`` and ``mxfp4`` carry their own block scales (one FP8 E4M3 per 16
  values plus an FP32 per tensor; one E8M0 per 32 values): see
  :mod:`servecalc.precision`; ``group_size`` does not apply to them;
* 8-bit formats carry per-tensor or per-channel scales, under 0.1 % of the
  weights, which are not counted.

For ``weight_dtype`` of 16 or 32 bits every parameter is stored in that type.

>>> from servecalc.units import fmt_bytes
>>> fmt_bytes(weight_bytes("llama-3.1-70b", "int4"), "GB")
'39.50 GB'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .attention_kinds import kv_layout, layer_kind
from .models import ModelSpec, get_model
from .precision import WEIGHT_DTYPES, bits, matrix_bits, storage_bytes
from .validate import choice, items, non_negative_int, positive_int
from .weight_group import KINDS, WeightGroup, group, norm_size  # noqa: F401 - KINDS: as before

_HALF_BITS = 16  # bf16/fp16: what the parts left unquantized are stored in

_Builder = Callable[[ModelSpec], list[WeightGroup]]


def _mlp_groups(
    spec: ModelSpec, prefix: str, width: int, count: int = 1, active_count: int | None = None
) -> list[WeightGroup]:
    h = spec.hidden_size
    if spec.mlp == "gated":
        groups = [
            group(f"{prefix}.gate_proj", "linear", h, width, count, active_count),
            group(f"{prefix}.up_proj", "linear", h, width, count, active_count),
            group(f"{prefix}.down_proj", "linear", width, h, count, active_count),
        ]
    else:
        groups = [
            group(f"{prefix}.fc1", "linear", h, width, count, active_count),
            group(f"{prefix}.fc2", "linear", width, h, count, active_count),
        ]
    if spec.linear_bias:  # gated: gate and up biases (2 x width); plain: fc1's (width)
        first = 2 * width if spec.mlp == "gated" else width
        groups.append(group(f"{prefix}.bias", "bias", 1, first + h, count, active_count))
    return groups


def _check_spec(spec: ModelSpec) -> ModelSpec:
    # ModelSpec validates itself in __post_init__; this guards against objects
    # changed with object.__setattr__ or built by other means.
    if not isinstance(spec, ModelSpec):
        raise ValueError(f"model must be a catalog ID or a ModelSpec, got {spec!r}")
    return spec


def _is_moe_layer(spec: ModelSpec, layer: int) -> bool:
    return spec.num_experts > 0 and layer >= spec.first_dense_layers


def _attention_builders(spec: ModelSpec) -> list[_Builder]:
    """Per layer, what builds its attention tensors: the layer kind's own builder
    (linear attention), else the model's KV layout's (:mod:`servecalc.attention_kinds`)."""
    default = kv_layout(spec).weights
    if not spec.layer_types:
        return [default] * spec.num_layers
    own = {name: layer_kind(name).weights or default for name in set(spec.layer_types)}
    return [own[name] for name in spec.layer_types]


def _layer_shapes(spec: ModelSpec) -> list[tuple[int, int]]:
    """(first layer, number of layers) for each shape of layer the model has
    (dense or MoE, and which attention tensors), in layer order."""
    if not spec.layer_types:  # without per-layer types: dense layers first, then MoE
        dense = spec.first_dense_layers if spec.num_experts else spec.num_layers
        return [(first, n) for first, n in ((0, dense), (dense, spec.num_layers - dense)) if n]
    shapes: dict[tuple[bool, _Builder], list[int]] = {}
    for layer, attention in enumerate(_attention_builders(spec)):
        shapes.setdefault((_is_moe_layer(spec, layer), attention), []).append(layer)
    return [(layers[0], len(layers)) for layers in shapes.values()]


def layer_weight_groups(model: str | ModelSpec, layer: int) -> tuple[WeightGroup, ...]:
    """Weight tensors of decoder layer ``layer`` (0-based).

    >>> [g.name for g in layer_weight_groups("llama-3.1-8b", 0)][:4]
    ['attn.q_proj', 'attn.k_proj', 'attn.v_proj', 'attn.o_proj']
    >>> sum(g.params for g in layer_weight_groups("llama-3.1-8b", 0))
    218112000
    """
    spec = _check_spec(get_model(model))
    non_negative_int("layer", layer)
    if layer >= spec.num_layers:
        raise ValueError(
            f"layer must be an integer in [0, {spec.num_layers - 1}] for {spec.id}, got {layer!r}"
        )
    h = spec.hidden_size
    moe = _is_moe_layer(spec, layer)
    groups = _attention_builders(spec)[layer](spec)
    if moe:
        width = spec.moe_intermediate_size or spec.intermediate_size
        groups.append(group("moe.router", "router", h, spec.num_experts))
        if spec.router_bias:
            groups.append(group("moe.router_bias", "bias", 1, spec.num_experts))
        groups += _mlp_groups(
            spec, "moe.experts", width, spec.num_experts, spec.experts_per_token
        )
        if spec.num_shared_experts:
            shared = spec.shared_expert_intermediate_size or width
            groups += _mlp_groups(spec, "moe.shared_experts", shared, spec.num_shared_experts)
        if spec.shared_expert_gate:
            groups.append(group("moe.shared_expert_gate", "router", h, 1))
    else:
        groups += _mlp_groups(spec, "mlp", spec.intermediate_size)
    groups.append(group("norms", "norm", 1, spec.norms_per_layer * norm_size(spec, h)))
    return tuple(groups)


def weight_groups(model: str | ModelSpec) -> tuple[WeightGroup, ...]:
    """Every weight tensor of the model, grouped by name across layers.

    >>> groups = {g.name: g for g in weight_groups("mixtral-8x7b")}
    >>> g = groups["moe.experts.up_proj"]
    >>> g.in_features, g.out_features, g.count, g.active_count   # 32 layers x 8 experts
    (4096, 14336, 256, 64)
    """
    spec = _check_spec(get_model(model))
    h = spec.hidden_size
    merged: dict[str, WeightGroup] = {}
    for first, repeats in _layer_shapes(spec):
        for g in layer_weight_groups(spec, first):
            prior = merged.get(g.name)
            merged[g.name] = group(
                g.name, g.kind, g.in_features, g.out_features,
                g.count * repeats + (prior.count if prior else 0),
                g.active_count * repeats + (prior.active_count if prior else 0),
            )
    groups = [group("embed_tokens", "embedding", spec.vocab_size, h)]
    if spec.position_embeddings:
        groups.append(group("embed_positions", "embedding", spec.position_embeddings, h))
    groups += list(merged.values())
    groups.append(group("final_norm", "norm", 1, norm_size(spec, h)))
    if not spec.tie_word_embeddings:
        groups.append(group("lm_head", "lm_head", h, spec.vocab_size))
    return tuple(groups)


def param_count(model: str | ModelSpec) -> int:
    """Total parameters (all experts; tied embeddings counted once).

    >>> param_count("llama-3.1-70b")
    70553706496
    >>> round(param_count("deepseek-v3") / 1e9)    # without the 14B MTP module
    671
    """
    return sum(g.params for g in weight_groups(model))


def active_param_count(model: str | ModelSpec, *, embeddings: bool = True) -> int:
    """Parameters one token uses: routed experts count ``experts_per_token`` times.

    Embeddings and ``lm_head`` are included, as in Mistral's 12.9B for
    Mixtral-8x7B. Model cards differ on the input embedding table (a look-up,
    no multiply): ``embeddings=False`` leaves it out, as gpt-oss's card does.
    Dense models: equal to :func:`param_count` (with embeddings).

    >>> active_param_count("llama-2-7b") == param_count("llama-2-7b")
    True
    >>> active_param_count("gpt-oss-120b", embeddings=False)     # the card: 5.13B
    5132849472
    """
    groups = weight_groups(model)
    return sum(g.active_params for g in groups if embeddings or g.kind != "embedding")


def layer_param_count(model: str | ModelSpec, layer: int) -> int:
    """Parameters of decoder layer ``layer`` (0-based).

    >>> layer_param_count("llama-2-7b", 0)     # 4 x 4096^2 + 3 x 4096 x 11008 + 2 x 4096
    202383360
    """
    return sum(g.params for g in layer_weight_groups(model, layer))


def matmul_params_per_token(model: str | ModelSpec) -> int:
    """Weights one token multiplies by: active linear layers, routers and the
    output projection (the embedding matrix when tied). Embedding look-ups,
    norms and biases are excluded; a forward pass costs about twice this
    many FLOPs per token, before attention over the context.

    >>> matmul_params_per_token("llama-2-7b") == param_count("llama-2-7b") - 32000 * 4096 - 65 * 4096
    True
    """
    spec = get_model(model)
    groups = weight_groups(spec)
    total = sum(g.active_params for g in groups if g.kind in ("linear", "router", "lm_head"))
    if spec.tie_word_embeddings:
        total += spec.vocab_size * spec.hidden_size
    return total


#: Parts whose matrices a quantized checkpoint stores in ``weight_dtype`` by
#: default; pass ``quantize`` to keep some in 16 bits (gpt-oss keeps attention).
QUANTIZABLE = ("attention", "mlp", "experts")


def check_quantize(quantize: Iterable[str]) -> frozenset[str]:
    """The parts named in ``quantize``, each one of :data:`QUANTIZABLE`.

    >>> sorted(check_quantize(["experts", "mlp"]))
    ['experts', 'mlp']
    >>> check_quantize("experts")
    Traceback (most recent call last):
        ...
    ValueError: quantize must be a list, got 'experts'
    """
    if isinstance(quantize, str):
        raise ValueError(f"quantize must be a list, got {quantize!r}")
    parts = items("quantize", quantize)
    for part in parts:
        choice("quantize", part, QUANTIZABLE)
    return frozenset(parts)


def _groups_bytes(
    groups: tuple[WeightGroup, ...], weight_dtype: str, group_size: int, active: bool,
    quantize: Iterable[str],
) -> int:
    choice("weight_dtype", weight_dtype, WEIGHT_DTYPES)
    positive_int("group_size", group_size)
    parts = check_quantize(quantize)
    if bits(weight_dtype) >= 16:
        return storage_bytes(sum(g.active_params if active else g.params for g in groups),
                             weight_dtype)
    total_bits = 0
    for g in groups:
        count = g.active_count if active else g.count
        if g.kind == "linear" and g.part in parts:
            total_bits += count * matrix_bits(g.in_features, g.out_features, weight_dtype,
                                              group_size)
        else:
            total_bits += count * g.in_features * g.out_features * _HALF_BITS
    return -(-total_bits // 8)


def weight_bytes(
    model: str | ModelSpec, weight_dtype: str = "bf16", group_size: int = 128,
    quantize: Iterable[str] = QUANTIZABLE,
) -> int:
    """Bytes of all weights in ``weight_dtype`` (see the module docstring for
    what is quantized and what the scales cost).

    >>> weight_bytes("llama-2-7b", "fp32") == 4 * 6738415616
    True
    >>> weight_bytes("llama-2-7b", "int4", group_size=0)
    Traceback (most recent call last):
        ...
    ValueError: group_size must be an integer >= 1, got 0
    >>> from servecalc.units import fmt_bytes
    >>> fmt_bytes(weight_bytes("gpt-oss-120b", "mxfp4", quantize=["experts"]), "GiB")
    '60.77 GiB'
    """
    return _groups_bytes(weight_groups(model), weight_dtype, group_size, False, quantize)


def active_weight_bytes(
    model: str | ModelSpec, weight_dtype: str = "bf16", group_size: int = 128,
    quantize: Iterable[str] = QUANTIZABLE,
) -> int:
    """Bytes of the weights one token uses (MoE: ``experts_per_token`` experts).

    The weights a decode step reads at batch 1; larger batches touch more
    experts. Dense models: equal to :func:`weight_bytes`.

    >>> from servecalc.units import fmt_bytes
    >>> fmt_bytes(active_weight_bytes("mixtral-8x7b"), "GB")
    '25.76 GB'
    """
    return _groups_bytes(weight_groups(model), weight_dtype, group_size, True, quantize)


def layer_weight_bytes(
    model: str | ModelSpec, layer: int, weight_dtype: str = "bf16", group_size: int = 128,
    quantize: Iterable[str] = QUANTIZABLE,
) -> int:
    """Bytes of decoder layer ``layer`` (0-based) in ``weight_dtype``.

    >>> layer_weight_bytes("llama-2-7b", 0) == 2 * 202383360
    True
    """
    return _groups_bytes(layer_weight_groups(model, layer), weight_dtype, group_size, False,
                         quantize)
