# Cells of docs/case-studies/self-host-or-api.md. A cell runs alone (a fresh
# namespace, at build time and in the browser), so a cell that needs an earlier
# step's result includes that step's section before its own: the inputs first,
# then whatever the step builds on.

# --8<-- [start:inputs]
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
api_per_request = (PROMPT * API_USD_PER_M_INPUT + OUTPUT * API_USD_PER_M_OUTPUT) / 1e6
# --8<-- [end:inputs]

# --8<-- [start:summary]
from servecalc.engines import DEFAULT_ENGINE, get_engine

print(f"Load-dependent numbers below assume the {DEFAULT_ENGINE!r} engine preset "
      f"({get_engine().name}); Deployment(engine=...) chooses another.")
print(f"{fmt_int(round(requests_per_day))} requests a day, peak "
      f"{fmt_number(max(HOURLY_REQUESTS_PER_S), 1)} requests/s, trough "
      f"{fmt_number(min(HOURLY_REQUESTS_PER_S), 1)} requests/s")
print(f"API: {fmt_usd(api_per_request, 5)} per request")
# --8<-- [end:summary]

# --8<-- [start:replicas]
from servecalc.slo_capacity import max_rate_under_slo

CONFIGS = [("bf16", 4), ("fp8", 2), ("fp8", 4)]


def replica_shapes():
    """Each shape's capacity under the SLO (the simulated point) and cost per request."""
    shapes = {}
    for dtype, gpus in CONFIGS:
        point = max_rate_under_slo(Deployment(model=MODEL, gpu=GPU, gpus=gpus, weight_dtype=dtype),
                                   slo=SLO, prompt=PROMPT, output=OUTPUT)
        capacity = point.max_rate_requests_per_s
        per_request = {price: gpus * price / (capacity * 3600)
                       for price in (ON_DEMAND_USD_PER_GPU_HOUR, RESERVED_USD_PER_GPU_HOUR)}
        shapes[(dtype, gpus)] = (point, per_request)
    return shapes


shapes = replica_shapes()
DTYPE, GPUS = min(shapes, key=lambda key: shapes[key][1][ON_DEMAND_USD_PER_GPU_HOUR])
CAPACITY = shapes[(DTYPE, GPUS)][0].max_rate_requests_per_s
# --8<-- [end:replicas]

# --8<-- [start:replica_table]
print(f"{'config':>8} {'batch':>6} {'req/s':>6} {'$/request':>10} "
      f"{'break-even, on-demand':>22} {'reserved':>9}")
for (dtype, gpus), (point, per_request) in shapes.items():
    print(f"{dtype + ' x' + str(gpus):>8} {fmt_number(point.mean_batch, 0):>6} "
          f"{fmt_number(point.max_rate_requests_per_s):>6} "
          f"{fmt_usd(per_request[ON_DEMAND_USD_PER_GPU_HOUR], 5):>10} "
          f"{fmt_percent(per_request[ON_DEMAND_USD_PER_GPU_HOUR] / api_per_request):>22} "
          f"{fmt_percent(per_request[RESERVED_USD_PER_GPU_HOUR] / api_per_request):>9}")
print(f"cheapest per request: {DTYPE} weights on {GPUS} GPUs, "
      f"{fmt_number(CAPACITY)} requests/s per replica")
# --8<-- [end:replica_table]

# --8<-- [start:day_costs]
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
# --8<-- [end:day_costs]

# --8<-- [start:today]
today = day_costs(HOURLY_REQUESTS_PER_S)
print(f"{'option':>15} {'per day':>10} {'per month':>11}  shape")
for name, (cost, note) in today.items():
    print(f"{name:>15} {fmt_usd(cost, 0):>10} {fmt_usd(cost * 30, 0):>11}  {note}")
peak_replicas = replicas_for(max(HOURLY_REQUESTS_PER_S))
fixed_busy = requests_per_day / (peak_replicas * CAPACITY * 86_400)
print(f"the fixed fleet is busy {fmt_percent(fixed_busy)} of the day")
# --8<-- [end:today]

# --8<-- [start:scaling]
COLUMNS = [("API", 9), ("fixed", 9), ("fixed, reserved", 15), ("autoscaled", 10), ("hybrid", 9)]
print(f"{'traffic':>8} " + " ".join(f"{name:>{width}}" for name, width in COLUMNS) + "  cheapest")
for scale in [0.1, 0.3, 1, 3, 10]:
    costs = day_costs([rate * scale for rate in HOURLY_REQUESTS_PER_S])
    winner = min(costs, key=lambda name: costs[name][0])
    print(f"{fmt_number(scale, 1) + 'x':>8} " + " ".join(
        f"{fmt_usd(costs[name][0], 0):>{width}}" for name, width in COLUMNS)
        + f"  {winner} ({costs[winner][1] or 'per token'})")
# --8<-- [end:scaling]
