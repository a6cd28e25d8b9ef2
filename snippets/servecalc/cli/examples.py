"""Worked command lines that open ``servecalc --help`` and each command's ``--help``.

Each entry is ``(command line, what it answers)``. The command lines run as
written (``tests/test_cli_manners.py`` runs every one that reads no file), so
a reader can paste them.

>>> print(examples_text("memory"))
examples:
  servecalc memory --model llama-3.1-70b --context 8192
      weights and the KV cache of one 8,192-token sequence
  servecalc memory --model llama-3.1-70b --weight-dtype fp8 --kv-dtype fp8 --context 32768 --batch 8
      the same in FP8, for eight 32K-token sequences
"""

from __future__ import annotations

Example = tuple[str, str]

#: Command -> its examples, the first being the one to try first.
EXAMPLES: dict[str, tuple[Example, ...]] = {
    "models": (("servecalc models", "every model in the catalog, with its source"),),
    "gpus": (("servecalc gpus", "every accelerator, with memory, bandwidth and price"),),
    "engines": (("servecalc engines", "the engine presets and what each assumes"),),
    "slos": (("servecalc slos", "the named SLOs for --slo"),),
    "limits": (("servecalc limits", "the accepted range of every number"),),
    "memory": (
        ("servecalc memory --model llama-3.1-70b --context 8192",
         "weights and the KV cache of one 8,192-token sequence"),
        ("servecalc memory --model llama-3.1-70b --weight-dtype fp8 --kv-dtype fp8 "
         "--context 32768 --batch 8", "the same in FP8, for eight 32K-token sequences"),
    ),
    "fit": (
        ("servecalc fit --model llama-3.1-70b --gpu h100-sxm --gpus 4 --context 4096",
         "how many 4K-token sequences fit on four H100s"),
    ),
    "step": (
        ("servecalc step --model llama-3.1-8b --gpu h100-sxm --phase decode --batch 64 "
         "--context 2048", "one decode step of 64 sequences: time, bytes, what bounds it"),
        ("servecalc step --model llama-3.1-8b --gpu h100-sxm --phase prefill --batch 1 "
         "--context 8192", "one 8K-token prefill"),
    ),
    "latency": (
        ("servecalc latency --model llama-3.1-70b --gpu h100-sxm --gpus 4 --prompt 1000 "
         "--output 250", "TTFT, time per token and end to end for one request alone"),
        ("servecalc latency --model llama-3.1-70b --gpu h100-sxm --gpus 4 --prompt 1000 "
         "--output 250 --batch 32", "the same request decoded beside 31 others"),
    ),
    "cost": (
        ("servecalc cost --model llama-3.1-8b --gpu h100-sxm --price-per-hour 2.5 --batch 64",
         "dollars per million tokens at a steady batch of 64"),
    ),
    "simulate": (
        ("servecalc simulate --model llama-3.1-8b --gpu h100-sxm --rate 10 --requests 500",
         "500 Poisson arrivals at 10 requests/s: TTFT and TPOT percentiles"),
        ("servecalc simulate --model llama-3.1-8b --gpu h100-sxm --concurrency 16 "
         "--requests 200 --prompt 1024 --output 1024",
         "16 clients in a closed loop, as benchmarks run it"),
        ("servecalc simulate --model llama-3.1-8b --gpu h100-sxm --rate 8 --requests 400 "
         "--prompt 4000 --output 300 --prefill-replicas 2 --decode-replicas 2",
         "separate prefill and decode pools, the KV cache sent between them"),
        ("servecalc simulate --model llama-3.1-8b --gpu h100-sxm --rate 2 --requests 100 "
         "--thinking 2000", "a reasoning model: time to first answer token beside TTFT"),
        ("servecalc simulate --model llama-3.1-8b --gpu h100-sxm --trace mooncake-conv-2025 "
         "--requests 400 --replicas 4 --router prefix-aware",
         "a real chat trace on four replicas: the prefix cache's hit rate under a cache-aware router"),
    ),
    "frontier": (
        ("servecalc frontier --model llama-3.1-8b --gpu h100-sxm --gpus 1 --weight-dtype fp8 "
         "--concurrency 1,8,64", "tokens/s per GPU against tokens/s per user at three loads"),
    ),
    "layouts": (
        ("servecalc layouts --model llama-3.1-70b --gpu h100-sxm --context 4096",
         "eight H100s as 8 x TP1, 4 x TP2, 2 x TP4 or 1 x TP8"),
    ),
    "moe": (
        ("servecalc moe --model deepseek-v3 --tokens-per-gpu 128 --ep 32 --link-gbps 400",
         "all-to-all bytes and time per step over one 400 Gb/s NIC"),
    ),
    "offload": (
        ("servecalc offload --model llama-3.1-70b --gpu h100-sxm --gpus 4 --tokens 32768",
         "reload a 32K-token prefix from host, NVMe or network, or recompute it"),
    ),
    "own": (
        ("servecalc own --server-usd 300000 --power-kw 10 --usd-per-kwh 0.1 "
         "--rented-usd-per-gpu-hour 2.5", "an owned 8-GPU server per GPU-hour, against renting"),
    ),
    "calibrate": (
        ("servecalc calibrate --measurements steps.jsonl",
         "fit MBU, MFU and overhead to your measured steps (one JSON object per line)"),
    ),
    "compare": (
        ("servecalc compare --model llama-3.1-8b --gpu h100-sxm --vllm-result result.json",
         "replay a `vllm bench serve --save-result` run in the simulator"),
    ),
    "capacity": (
        ("servecalc capacity --model llama-3.1-8b --gpu h100-sxm "
         "--slo mlperf-llama3.1-8b-interactive", "the highest rate one H100 serves within it"),
    ),
    "plan": (
        ("servecalc plan --model llama-3.1-8b --rate 20 --gpu h100-sxm --gpu l40s "
         "--slo mlperf-llama3.1-8b-server", "the cheapest fleet of H100s or L40S for 20 req/s"),
        ("servecalc plan --model llama-3.1-8b --rate 8 --gpu h100-sxm --gpus 1 --weight-dtype "
         "bf16 --prompt 4000 --output 300 --ttft-p99 1.5 --tpot-p99 0.015 --disagg",
         "aggregated against disaggregated fleets, side by side"),
    ),
    "practice": (
        ("servecalc practice --list", "the kinds of question"),
        ("servecalc practice --kind kv_per_token", "a fresh KV question; asks for your answer"),
        ("servecalc practice --kind decode_step --seed 7",
         "the same question every time (on the site: practice/?q=decode_step&seed=7)"),
        ("servecalc practice --kind cost --seed 7 --answer 2.5",
         "grade an answer, then show the working"),
        ("servecalc practice --kind cost --seed 7 --reveal --json",
         "the question and its answer as JSON"),
    ),
}

#: What ``servecalc --help`` suggests first.
FIRST = ("memory", "latency", "simulate", "capacity", "plan")

#: Options whose value is a file the reader supplies (examples with one are parsed, not run).
FILE_OPTIONS = ("--measurements", "--vllm-result", "--calibration")


def examples_text(command: str) -> str:
    """The ``examples:`` block of one command's ``--help``; ValueError for an unknown one.

    >>> examples_text("plan").splitlines()[0]
    'examples:'
    """
    if command not in EXAMPLES:
        raise ValueError(f"command must be one of {', '.join(EXAMPLES)}, got {command!r}")
    lines = ["examples:"]
    for line, what in EXAMPLES[command]:
        lines += [f"  {line}", f"      {what}"]
    return "\n".join(lines)


def first_steps_text() -> str:
    """The block that opens ``servecalc --help``: one example of each first command.

    >>> first_steps_text().splitlines()[1]
    '  servecalc memory --model llama-3.1-70b --context 8192'
    """
    lines = ["try first:"]
    for name in FIRST:
        line, what = EXAMPLES[name][0]
        lines += [f"  {line}", f"      {what}"]
    lines.append("every command: servecalc COMMAND --help (examples first); "
                 "limits on every number: servecalc limits")
    return "\n".join(lines)


__all__ = ["EXAMPLES", "FILE_OPTIONS", "FIRST", "examples_text", "first_steps_text"]
