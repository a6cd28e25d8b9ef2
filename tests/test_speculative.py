"""Speculative decoding (Leviathan et al. 2023, arXiv:2211.17192).

The closed forms are checked against an independent derivation: a step with
``gamma`` drafts yields 1 + (number of accepted drafts) tokens, and draft i is
used only if drafts 1 ... i are all accepted, so the expectation is
sum_{i=0}^{gamma} alpha^i.
"""

from __future__ import annotations

import itertools
import math

import pytest

from servecalc.step import StepModel
from servecalc.speculative import best_gamma, expected_tokens_per_step, speculative_decode, speedup
from servecalc.deployment import Deployment


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.6, 0.8, 0.95])
@pytest.mark.parametrize("gamma", [1, 2, 3, 5, 8])
def test_expected_tokens_is_a_geometric_sum(alpha, gamma):
    assert expected_tokens_per_step(alpha, gamma) == pytest.approx(
        math.fsum(alpha ** i for i in range(gamma + 1)), rel=1e-12)


def test_expected_tokens_by_enumerating_acceptance_patterns():
    alpha, gamma = 0.7, 3
    total = 0.0
    for pattern in itertools.product([True, False], repeat=gamma):
        probability = math.prod(alpha if ok else 1 - alpha for ok in pattern)
        accepted = next((i for i, ok in enumerate(pattern) if not ok), gamma)
        total += probability * (accepted + 1)
    assert expected_tokens_per_step(alpha, gamma) == pytest.approx(total, rel=1e-12)


def test_speedup_formula():
    # Theorem 3.8: tokens / (gamma c + 1).
    assert speedup(0.8, 3, 0.1) == pytest.approx((1 - 0.8 ** 4) / (0.2 * 1.3))
    assert speedup(0.0, 4, 0.0) == 1.0
    assert speedup(0.0, 4, 0.5) == pytest.approx(1 / 3)     # all drafts wasted


def test_best_gamma_by_brute_force():
    for alpha, c in [(0.6, 0.05), (0.8, 0.05), (0.9, 0.2), (0.5, 0.5)]:
        values = {g: speedup(alpha, g, c) for g in range(1, 17)}
        assert best_gamma(alpha, c) == max(values, key=values.get)


@pytest.mark.parametrize("alpha", [1.0, -0.1, float("nan"), True, "0.5"])
def test_alpha_must_be_in_unit_interval_open_at_one(alpha):
    with pytest.raises(ValueError, match="alpha must be a number in"):
        expected_tokens_per_step(alpha, 2)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="gamma must be an integer >= 1, got 0"):
        speedup(0.5, 0, 0.1)
    with pytest.raises(ValueError, match="cost_ratio"):
        speedup(0.5, 2, -0.1)


def test_speculative_decode_with_step_times():
    alpha, gamma, context = 0.8, 4, 2048
    r = speculative_decode(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4),
                           "llama-3.1-8b", alpha=alpha, gamma=gamma, context=context)
    big = StepModel(Deployment(model="llama-3.1-70b", gpu="h100-sxm", gpus=4))
    small = StepModel(Deployment(model="llama-3.1-8b", gpu="h100-sxm", gpus=4))
    draft = small.decode_time_s(1, context)
    verify = big.prefill_time_s(gamma + 1, context - 1)
    tokens = (1 - alpha ** (gamma + 1)) / (1 - alpha)
    assert r.tpot_s == pytest.approx((gamma * draft + verify) / tokens, rel=1e-12)
    assert r.speedup == pytest.approx(big.decode_time_s(1, context) / r.tpot_s, rel=1e-12)
    assert r.cost_ratio == pytest.approx(draft / big.decode_time_s(1, context))
    # Verification reads the weights once, like a decode step: it costs little more.
    assert 1 < r.verify_step_s / r.baseline_tpot_s < 1.2
    # So the paper's formula, which prices verification as one decode step, is close.
    assert r.speedup == pytest.approx(speedup(alpha, gamma, r.cost_ratio), rel=0.2)
