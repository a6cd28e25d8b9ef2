"""Placeholders naming the serving-engine preset a page's load-dependent numbers assume.

>>> "preset" in engine_note()
True
"""

from __future__ import annotations

from servecalc.engines import get_engine
from servecalc.units import fmt_int, fmt_number


def engine_note(gpu: str = "h100-sxm") -> str:
    """One sentence: which engine preset the page's step times, simulations and capacities
    assume, with its scheduler on ``gpu``."""
    e = get_engine(None)
    budget = e.max_num_batched_tokens(gpu)
    if e.policy == "chunked":
        scheduler = (f"chunked prefill with a budget of {fmt_int(budget)} tokens per step, "
                     f"up to {fmt_int(e.max_num_seqs(gpu))} sequences")
    else:
        scheduler = (f"prefill-first batching of up to {fmt_int(e.max_num_seqs(gpu))} "
                     "sequences")
    return (f"Step times, simulations and capacities on this page assume the "
            f"`{e.id}` engine preset ({e.name}: {scheduler}, "
            f"{fmt_number(100 * e.memory_utilization, 0)} % of GPU memory, its "
            "efficiencies and request overhead); `--engine` and the calculators' Engine "
            "field choose another (`servecalc engines` lists them).")
