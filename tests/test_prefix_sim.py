"""Prefix caching in the simulator, the Mooncake trace, and routing over a fleet (issue 20).

Expected values are derived here by hand (which tokens a prefill computes) or from the
trace's own README, and the step model is asked only for the time of the step the
derivation names.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from servecalc.cli import main
from servecalc.sim import Engine, simulate
from servecalc.sim.api import run_policy
from servecalc.sim.fleet import simulate_fleet
from servecalc.sim.prefix import Pool, PrefixCache
from servecalc.sim.sessions import chat_workload, with_shared_prefix
from servecalc.sim.traces import trace_info, trace_workload
from servecalc.sim.workload import Workload, make_workload, poisson_workload

SOURCE = Path("/work/shared/data/mooncake-traces-2025/conversation_trace.jsonl.gz")


def _two_requests(policy: str) -> tuple[Engine, Workload]:
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=1000)
    # A: 64 prompt tokens in 4 blocks of 16; B, 10 s later (A long done): the same 64 tokens
    # and 16 more.
    work = dataclasses.replace(make_workload([0.0, 10.0], [64, 80], [4, 4]),
                               prefix_hashes=((1, 2, 3, 4), (1, 2, 3, 4, 5)),
                               hash_block_tokens=16)
    return engine, work


@pytest.mark.parametrize("policy", ["continuous", "chunked"])
def test_two_request_prefix_hit_by_hand(policy):
    engine, work = _two_requests(policy)
    r = simulate(engine, work, policy=policy)
    # By hand: A finds nothing (computes 64 tokens), B finds A's 4 full blocks (64 tokens) and
    # computes only its last 16, attending to the 64 cached ones.
    assert r.prefix_hit_rate == pytest.approx(64 / (64 + 80), rel=1e-12)
    sm = engine.step_model
    b_prefill = sm.mixed_time_s(0, 0, [(16, 64)])
    assert r.ttft_s.max == pytest.approx(engine.request_overhead_s + sm.mixed_time_s(0, 0, [(64, 0)]),
                                         rel=1e-12)   # A is the slower of the two
    assert r.first_token_s[1] - r.arrivals[1] == pytest.approx(
        engine.request_overhead_s + b_prefill, rel=1e-12)
    # Without the cache B computes all 80 tokens: a longer first step.
    off = simulate(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=1000, prefix_cache=False),
                   work, policy=policy)
    assert off.prefix_hit_rate is None
    assert off.first_token_s[1] - off.arrivals[1] == pytest.approx(
        engine.request_overhead_s + sm.mixed_time_s(0, 0, [(80, 0)]), rel=1e-12)
    assert sm.mixed_time_s(0, 0, [(80, 0)]) > b_prefill


def test_whole_prompt_cached_still_computes_one_token():
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=1000)
    work = dataclasses.replace(make_workload([0.0, 10.0], [64, 64], [2, 2]),
                               prefix_hashes=((1, 2, 3, 4),) * 2, hash_block_tokens=16)
    r = simulate(engine, work, policy="continuous")
    assert r.prefix_hit_rate == pytest.approx(63 / 128, rel=1e-12)
    assert r.first_token_s[1] - r.arrivals[1] == pytest.approx(
        engine.request_overhead_s + engine.step_model.mixed_time_s(0, 0, [(1, 63)]), rel=1e-12)


def test_lru_eviction_order():
    cache, pool = PrefixCache(hash_block_tokens=16, block_size=16), Pool(total=5)
    for i, h in enumerate((10, 11, 12, 13)):
        assert cache.admit(pool, i, (h,), prompt=16) == 0
        cache.register(pool, i, (h,), prompt=16)
    for i in (2, 0, 3, 1):                  # released: 12, 10, 13, 11
        cache.release(pool, i, held=16)
    assert (pool.used, cache.idle_blocks) == (0, 4)
    # 10 is used again (it leaves the idle list) and released: now the most recent.
    assert cache.admit(pool, 4, (10,), prompt=17) == 16
    cache.release(pool, 4, held=17)
    assert list(cache.idle) == [12, 13, 11, 10]
    # A request needing 3 fresh blocks with 1 free evicts the two least recently released.
    assert cache.admit(pool, 5, (99, 98, 97), prompt=40) == 0
    assert list(cache.idle) == [11, 10] and cache.evicted == 2
    assert pool.used == 3 and pool.used + cache.idle_blocks == pool.total
    # Nothing changes when even evicting everything idle would not make room.
    assert cache.admit(pool, 6, (50, 51, 52), prompt=48) == -1
    assert list(cache.idle) == [11, 10] and pool.used == 3


def test_shared_blocks_counted_once():
    cache, pool = PrefixCache(hash_block_tokens=32, block_size=16), Pool(total=100)
    cache.admit(pool, 0, (1, 2), prompt=64)
    cache.register(pool, 0, (1, 2), prompt=64)
    assert cache.admit(pool, 1, (1, 2, 3), prompt=96) == 64   # shares 4 blocks, takes 2
    assert pool.used == 4 + 2
    pool.used += 1                       # A decodes 6 tokens: a 5th block (the running set's)
    cache.release(pool, 0, held=70)      # A leaves: that private block goes back ...
    assert pool.used == 4 + 2            # ... its shared blocks are still held by B
    cache.release(pool, 1, held=96)
    assert (pool.used, cache.idle_blocks) == (0, 4)


@pytest.mark.parametrize("policy", ["continuous", "chunked", "static"])
def test_no_cache_reproduces_the_run_without_hashes(policy):
    base = poisson_workload(30.0, 300, prompt="uniform:100-900", output="uniform:10-200", seed=3)
    hashed = with_shared_prefix(base, 0)          # unique hashes, same lengths
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=600, prefix_cache=False)
    plain = simulate(engine, base, policy=policy).to_dict(timeline=True)
    assert simulate(engine, hashed, policy=policy).to_dict(timeline=True) == plain


def test_unique_hashes_with_cache_change_nothing_but_the_short_paths():
    """A cache that never hits serves the same requests at the same times (within float
    summation), whatever evictions it makes to keep idle blocks (a pool of 3,000 blocks holds
    about a third of these prompts: it evicts; it is large enough that no one is preempted,
    as a preempted request would find its own prompt cached when readmitted)."""
    base = poisson_workload(30.0, 300, prompt="uniform:100-900", output="uniform:10-200", seed=3)
    hashed = with_shared_prefix(base, 0)
    on = simulate(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=3000), hashed, policy="chunked")
    off = simulate(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=3000, prefix_cache=False),
                   hashed, policy="chunked")
    assert on.prefix_hit_rate == 0.0 and on.preemptions == off.preemptions == 0
    assert on.finish_s == pytest.approx(off.finish_s, rel=1e-9)


@pytest.mark.parametrize("policy", ["continuous", "chunked"])
def test_leaps_with_a_cache_match_step_by_step(policy):
    work = chat_workload(6.0, 200, turns=5, prompt="uniform:50-400", output="uniform:20-300",
                         shared_prefix=256, think_s=2.0, seed=1)
    engine = Engine("llama-3.1-8b", "h100-sxm", kv_blocks=400)
    fast = run_policy(engine, work, policy, fast=True)
    slow = run_policy(engine, work, policy, fast=False)
    assert fast.prefix_hit_tokens == slow.prefix_hit_tokens
    assert fast.preemptions == slow.preemptions
    assert fast.finish == pytest.approx(slow.finish, rel=1e-9)


def test_hit_rate_with_a_huge_cache_is_the_leading_run_of_seen_hashes():
    """Requests far apart, a pool that never evicts: each request finds exactly the leading
    run of its full 512-token blocks that earlier requests had (computed independently here
    from the trace's IDs), less the one token always recomputed."""
    work = trace_workload("mooncake-conv-2025", requests=200)
    work = dataclasses.replace(work, arrivals=tuple(100.0 * i for i in range(200)))
    seen: set[int] = set()
    hit = 0
    for prompt, ids in zip(work.prompts, work.prefix_hashes):
        full = ids[:prompt // 512]
        k = 0
        while k < len(full) and full[k] in seen:
            k += 1
        hit += min(512 * k, prompt - 1)
        seen.update(full)
    r = simulate(Engine("llama-3.1-8b", "h100-sxm", kv_blocks=400_000), work)
    assert r.prefix_hit_rate == pytest.approx(hit / sum(work.prompts), rel=1e-12)
    assert r.prefix_hit_rate > 0.02


def test_mooncake_trace_matches_its_readme():
    # README of the Mooncake FAST'25 traces: 12,031 requests, mean input 12,035 and mean
    # output 343 tokens, one hash ID per 512-token block.
    info = trace_info("mooncake-conv-2025")
    assert info.requests == 12_031
    assert round(info.mean_prompt) == 12_035 and round(info.mean_output) == 343
    work = trace_workload("mooncake-conv-2025")
    assert work.hash_block_tokens == 512
    assert all(len(h) == -(-p // 512) for p, h in zip(work.prompts, work.prefix_hashes))
    assert "Apache-2.0" in info.source


@pytest.mark.skipif(not SOURCE.exists(), reason="the published trace is not on this machine")
def test_mooncake_file_decodes_to_the_published_trace():
    rows = [json.loads(line) for line in gzip.open(SOURCE, "rt")]
    work = trace_workload("mooncake-conv-2025")
    assert [tuple(r["hash_ids"]) for r in rows] == list(work.prefix_hashes)
    assert [r["input_length"] for r in rows] == list(work.prompts)
    assert [r["timestamp"] / 1000 for r in rows] == pytest.approx(list(work.arrivals))


def test_prefix_aware_routing_beats_round_robin_on_multi_turn_chats():
    work = chat_workload(12.0, 600, turns=6, prompt="uniform:100-400", output="uniform:50-200",
                         think_s=4.0, seed=2)
    engine = Engine("llama-3.1-8b", "h100-sxm")
    rr = simulate_fleet(engine, work, replicas=4, router="round-robin")
    ll = simulate_fleet(engine, work, replicas=4, router="least-loaded")
    pa = simulate_fleet(engine, work, replicas=4, router="prefix-aware")
    # A conversation's turn t finds its earlier turns only on the replica that served them:
    # round-robin lands there about 1 time in 4, prefix-aware every time the load allows.
    assert pa.prefix_hit_rate > rr.prefix_hit_rate + 0.2
    assert pa.prefix_hit_rate > ll.prefix_hit_rate + 0.2
    assert sum(pa.requests_per_replica) == 600 and min(pa.requests_per_replica) > 0
    one = simulate(engine, work)            # one replica holds every conversation
    assert pa.prefix_hit_rate <= one.prefix_hit_rate + 1e-12


def test_fleet_of_one_is_the_replica():
    work = poisson_workload(5.0, 100, prompt=300, output=50, seed=1)
    engine = Engine("llama-3.1-8b", "h100-sxm")
    fleet = simulate_fleet(engine, work, replicas=1, router="least-loaded")
    alone = simulate(engine, work)
    # The same replica, stepped one pass at a time (its look-ahead short paths off).
    assert fleet.replica_results[0].first_token_s == pytest.approx(alone.first_token_s, rel=1e-9)
    assert fleet.replica_results[0].finish_s == pytest.approx(alone.finish_s, rel=1e-9)
    assert fleet.ttft_s.p99 == pytest.approx(alone.ttft_s.p99, rel=1e-9)
    assert fleet.requests_per_replica == (100,)


def test_least_loaded_sees_the_replicas_in_flight_requests():
    """Two replicas; A's request is long, B's short. When the third request comes, A still
    serves its request and B is idle again: least-loaded picks B, round-robin A."""
    engine = Engine("llama-3.1-8b", "h100-sxm")
    work = make_workload([0.0, 0.01, 2.0], [100, 100, 100], [2000, 2, 10])
    ll = simulate_fleet(engine, work, replicas=2, router="least-loaded")
    rr = simulate_fleet(engine, work, replicas=2, router="round-robin")
    assert ll.requests_per_replica == (1, 2) and rr.requests_per_replica == (2, 1)


def test_prefix_aware_balance_rule_moves_a_hot_shared_prefix():
    """Every request shares a long system prompt: without the balance rule all would go to
    the replica that cached it first; SGLang's rule sends the excess elsewhere."""
    base = poisson_workload(60.0, 600, prompt=200, output=300, seed=5)
    work = with_shared_prefix(base, 2000)
    pa = simulate_fleet(Engine("llama-3.1-8b", "h100-sxm"), work, replicas=4,
                        router="prefix-aware")
    busiest = max(pa.requests_per_replica)
    assert busiest < 600 and sum(pa.requests_per_replica) == 600


@pytest.mark.parametrize("argv, option", [
    (["--rate", "2", "--requests", "10", "--replicas", "0"], "--replicas"),
    (["--rate", "2", "--requests", "10", "--router", "random"], "--router"),
    (["--rate", "2", "--requests", "10", "--shared-prefix", "-5"], "--shared-prefix"),
    (["--rate", "2", "--requests", "10", "--turns", "0"], "--turns"),
    (["--rate", "2", "--requests", "10", "--turns", "3", "--think-time", "-1"], "--think-time"),
    (["--trace", "mooncake-conv-2025", "--requests", "10", "--turns", "3"], "--turns"),
    (["--rate", "2", "--requests", "10", "--router", "prefix-aware", "--replicas", "2"],
     "prefix hashes"),
])
def test_cli_bad_values_exit_2_naming_the_option(argv, option, capsys):
    code = main(["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", *argv])
    assert code == 2
    assert option in capsys.readouterr().err


def test_cli_reports_hit_rate_and_fleet(capsys):
    base = ["simulate", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--rate", "4",
            "--requests", "60", "--turns", "4", "--prompt", "200", "--output", "50"]
    assert main(base + ["--json"]) == 0
    on = json.loads(capsys.readouterr().out)
    assert main(base + ["--json", "--no-prefix-cache"]) == 0
    off = json.loads(capsys.readouterr().out)
    assert on["prefix_hit_rate"] > 0.3 and "prefix_hit_rate" not in off
    assert main(base + ["--replicas", "2", "--router", "prefix-aware"]) == 0
    text = capsys.readouterr().out
    assert "behind a prefix-aware router" in text and "prefix cache" in text
