# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Self-host or call an API?
#
# A team runs a document assistant on a hosted API serving a Llama-3.1-70B-class
# model. The bill has grown, and someone asks whether renting H100s and serving
# the model themselves would be cheaper. This notebook answers with the team's
# own traffic: a day of requests by hour, one request shape, an API quote and a
# GPU price. It compares four ways to serve that day: the API alone, a fixed
# fleet sized for the peak, an autoscaled fleet, and a hybrid that keeps a base
# of its own replicas and sends the overflow to the API.
#
# The method is the one in [Cost modelling](../../cost/): a replica's capacity
# under the latency target, its price per hour, and the utilization the traffic
# actually gives it.

# %%
from servecalc.engines import DEFAULT_ENGINE, get_engine

print(f"Load-dependent numbers below assume the {DEFAULT_ENGINE!r} engine preset "
      f"({get_engine().name}); Deployment(engine=...) chooses another.")

# %% [markdown]
# ## 1. The inputs
#
# Everything a reader would change is in this cell: the traffic profile, the
# request shape, the latency target, the prices. The API quote and the GPU
# prices are examples; replace them with yours. The reserved price stands for a
# commitment (a year, say) that is cheaper per hour but paid whether used or
# not.

# %%
from servecalc.deployment import Deployment
from servecalc.slo import make_slo
from servecalc.units import fmt_int, fmt_number, fmt_percent, fmt_usd

MODEL, GPU = "llama-3.1-70b", "h100-sxm"
PROMPT, OUTPUT = 2500, 400                  # tokens per request
SLO = make_slo("assistant", ttft_s=2.0, tpot_s=0.05)
ON_DEMAND_USD_PER_GPU_HOUR = 3.78           # the catalog's on-demand example
RESERVED_USD_PER_GPU_HOUR = 2.00            # illustrative committed price
API_USD_PER_M_INPUT, API_USD_PER_M_OUTPUT = 0.60, 0.80   # illustrative API quote

# Requests per second for each hour of the day (a weekday, UTC).
HOURLY_REQUESTS_PER_S = [
    1.0, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.5, 4.5, 6.0, 7.0, 7.5,
    7.2, 7.4, 7.6, 7.0, 6.2, 5.0, 3.8, 3.0, 2.4, 2.0, 1.6, 1.2,
]
requests_per_day = sum(rate * 3600 for rate in HOURLY_REQUESTS_PER_S)
print(f"{fmt_int(round(requests_per_day))} requests a day, peak "
      f"{fmt_number(max(HOURLY_REQUESTS_PER_S), 1)} requests/s, trough "
      f"{fmt_number(min(HOURLY_REQUESTS_PER_S), 1)} requests/s")
api_per_request = (PROMPT * API_USD_PER_M_INPUT + OUTPUT * API_USD_PER_M_OUTPUT) / 1e6
print(f"API: {fmt_usd(api_per_request, 5)} per request")

# %% [markdown]
# ## 2. What one replica can do, and what it costs per request
#
# The capacity that matters is the highest request rate at which the latency
# target still holds at its percentile, with requests arriving at random and
# queueing, found by simulation (`servecalc.slo_capacity`); not the throughput of
# the largest batch that fits, nor a steady-state formula that fills every slot.
# The cell compares three replica shapes ("batch" is the mean number of
# sequences a replica runs at that rate). For each, the break-even utilization is
# the busy fraction above which the replica serves a request more cheaply than
# the API; a break-even above full utilization means it never does.

# %%
from servecalc.slo_capacity import max_rate_under_slo

CONFIGS = [("bf16", 4), ("fp8", 2), ("fp8", 4)]
replicas = {}
print(f"{'config':>8} {'batch':>6} {'req/s':>6} {'$/request':>10} "
      f"{'break-even, on-demand':>22} {'reserved':>9}")
for dtype, gpus in CONFIGS:
    point = max_rate_under_slo(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                               slo=SLO, prompt=PROMPT, output=OUTPUT)
    capacity = point.max_rate_requests_per_s
    per_request = {
        price: gpus * price / (capacity * 3600)
        for price in (ON_DEMAND_USD_PER_GPU_HOUR, RESERVED_USD_PER_GPU_HOUR)
    }
    replicas[(dtype, gpus)] = (capacity, per_request[ON_DEMAND_USD_PER_GPU_HOUR])
    print(f"{dtype + ' x' + str(gpus):>8} {fmt_number(point.mean_batch, 0):>6} {fmt_number(capacity):>6} "
          f"{fmt_usd(per_request[ON_DEMAND_USD_PER_GPU_HOUR], 5):>10} "
          f"{fmt_percent(per_request[ON_DEMAND_USD_PER_GPU_HOUR] / api_per_request):>22} "
          f"{fmt_percent(per_request[RESERVED_USD_PER_GPU_HOUR] / api_per_request):>9}")
DTYPE, GPUS = min(replicas, key=lambda key: replicas[key][1])
CAPACITY = replicas[(DTYPE, GPUS)][0]
print(f"cheapest per request: {DTYPE} weights on {GPUS} GPUs, "
      f"{fmt_number(CAPACITY)} requests/s per replica")

# %% [markdown]
# <div class="admonition warning">
# <p class="admonition-title">Check the precision before you bank the saving</p>
# <p>Compare the bf16 and fp8 rows on four GPUs: the fp8 weights raise what a
# replica can serve, which is most of the difference between the rows. The library does not model accuracy: evaluate the
# fp8 build on your own tasks before the comparison below counts.</p>
# </div>
#
# ## 3. Four ways to serve the day
#
# With the cheapest replica shape, and the same rules for every fleet: no
# replica is loaded beyond the same headroom (a replica run at full capacity
# queues and misses the latency target), and a fleet that runs its own replicas
# keeps at least two of them, so one failure does not take the service down.
# What differs is only how the replicas follow the traffic and how they are
# paid for:
#
# - **API**: every request at the API's price.
# - **Fixed fleet**: enough replicas for the peak hour, all day, priced once
#   on demand and once at the reserved rate (a fixed fleet is what a commitment
#   buys).
# - **Autoscaled fleet**: each hour, the on-demand replicas that hour needs.
#   This is optimistic: real autoscaling lags the traffic and a new replica
#   takes minutes to load its weights.
# - **Hybrid**: a base of reserved replicas, loaded like the others, and the
#   API for whatever exceeds their capacity. The cell picks the base (none, or
#   two or more) that minimizes the day's cost.

# %%
import math

HEADROOM = 0.3
MIN_REPLICAS = 2


def replicas_for(rate: float) -> int:
    """Replicas that serve ``rate`` requests/s within the headroom, never fewer than the floor."""
    return max(MIN_REPLICAS, math.ceil(rate / (CAPACITY * (1 - HEADROOM))))


def day_costs(rates: list[float]) -> dict[str, tuple[float, str]]:
    """Each option's cost for a day of hourly request rates, with a short note."""
    usable = CAPACITY * (1 - HEADROOM)
    on_demand_hour = GPUS * ON_DEMAND_USD_PER_GPU_HOUR
    reserved_hour = GPUS * RESERVED_USD_PER_GPU_HOUR
    api = sum(rate * 3600 for rate in rates) * api_per_request
    peak_replicas = replicas_for(max(rates))
    hourly = [replicas_for(rate) for rate in rates]

    def hybrid(base: int) -> float:
        overflow = sum(max(0.0, rate - base * usable) * 3600 for rate in rates)
        return base * reserved_hour * 24 + overflow * api_per_request

    base = min([0] + list(range(MIN_REPLICAS, peak_replicas + 1)), key=hybrid)
    return {
        "API": (api, ""),
        "fixed": (peak_replicas * on_demand_hour * 24, f"{peak_replicas} replicas"),
        "fixed, reserved": (peak_replicas * reserved_hour * 24, f"{peak_replicas} replicas"),
        "autoscaled": (sum(hourly) * on_demand_hour, f"{min(hourly)} to {max(hourly)} replicas"),
        "hybrid": (hybrid(base), f"{base} reserved + API"),
    }


today = day_costs(HOURLY_REQUESTS_PER_S)
print(f"{'option':>15} {'per day':>10} {'per month':>11}  shape")
for name, (cost, note) in today.items():
    print(f"{name:>15} {fmt_usd(cost, 0):>10} {fmt_usd(cost * 30, 0):>11}  {note}")
peak_replicas = replicas_for(max(HOURLY_REQUESTS_PER_S))
fixed_busy = requests_per_day / (peak_replicas * CAPACITY * 86_400)
print(f"the fixed fleet is busy {fmt_percent(fixed_busy)} of the day")

# %% [markdown]
# The fixed fleet pays for the peak all day, so its utilization is the ratio of
# mean to peak traffic, reduced again by the headroom; the reserved price lowers
# the bill but not the idle time. Autoscaling recovers much of the idle time, on
# paper. The hybrid keeps only replicas that stay busy around the clock, at the
# committed price and the same headroom as the others, and buys the peaks per
# token: the shape that usually wins when the peak is far above the trough. If
# one of its base replicas fails, its traffic overflows to the API, which is the
# hybrid's redundancy on top of the two-replica floor.
#
# ## 4. How the answer moves with traffic
#
# The same day, scaled down and up.

# %%
COLUMNS = [("API", 9), ("fixed", 9), ("fixed, reserved", 15), ("autoscaled", 10), ("hybrid", 9)]
print(f"{'traffic':>8} " + " ".join(f"{name:>{width}}" for name, width in COLUMNS) + "  cheapest")
for scale in [0.1, 0.3, 1, 3, 10]:
    costs = day_costs([rate * scale for rate in HOURLY_REQUESTS_PER_S])
    winner = min(costs, key=lambda name: costs[name][0])
    print(f"{fmt_number(scale, 1) + 'x':>8} " + " ".join(
        f"{fmt_usd(costs[name][0], 0):>{width}}" for name, width in COLUMNS)
        + f"  {winner} ({costs[winner][1] or 'per token'})")

# %% [markdown]
# At small volume nothing beats paying per token: a replica cannot be bought in
# pieces, and the redundancy floor alone costs more than the traffic. As volume
# grows, owned replicas fill up and the per-request price of a busy replica
# takes over. Where exactly the answer flips depends on the break-even
# utilization of step 2 and on how peaky the traffic is.
#
# ## 5. What the table leaves out
#
# <div class="admonition note">
# <p class="admonition-title">Costs that are not on the GPU bill</p>
# <p>Self-hosting needs people: an on-call rotation, engine and driver upgrades,
# capacity planning, evaluation of every model change. A committed price is paid
# whether the replicas are used or not. An API's price can change, and so can its
# model. Put each of these in the comparison as a monthly amount before
# deciding.</p>
# </div>
#
# And the reasons to self-host that are not about cost: data that may not leave
# your network, fine-tuned or proprietary weights, control over the model
# version, and latency you can tune (a tighter target than the API offers, or a
# region it does not serve). When one of those applies, the question is no
# longer whether to self-host but how large the base should be, and the hybrid
# row answers it.
#
# ## 6. The answer to give
#
# Say which option wins at today's traffic, by how much, and at what traffic
# the answer flips, using the break-even utilization from step 2 and the
# scaling table from step 4. Then name the assumptions that would change it
# most: the precision (compare the replica rows of step 2), the latency target (it
# sets the batch and so the capacity), the committed price, and the ratio of
# peak to mean traffic (it sets the utilization of anything you own).
