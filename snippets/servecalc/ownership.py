"""Owned hardware against rented: the hourly cost of a GPU you buy, and node packing.

**Owning.** A server bought for ``server_usd`` and written off straight-line
over ``years`` costs ``server_usd / (years x 8,760 h)`` per hour whether it
is busy or not; it draws ``power_kw`` at the wall, which the facility
multiplies by its PUE (power usage effectiveness); and it pays for space,
support and networking (``other_usd_per_year``). Per GPU::

    usd_per_gpu_hour = (server_usd / (years * 8760) + power_kw * pue * usd_per_kwh
                        + other_usd_per_year / 8760) / gpus_per_server

Power is billed at ``power_kw`` (a maximum, so an upper bound); capital cost
ignores interest and resale. A rented GPU can be released when idle and an
owned one cannot, so owning wins only above the busy fraction
``owned / rented`` of the hours.

**Renting by the node.** Clouds sell the large GPUs in nodes (eight per HGX
board), and a replica of ``tp`` GPUs cannot span two nodes' NVLink domains. A
fleet pays for whole nodes, and GPUs that no replica can use are stranded:
``replicas x tp`` GPUs need ``ceil(replicas / (gpus_per_node // tp))`` nodes,
not ``replicas x tp / gpus_per_node``.

>>> round(owned_usd_per_gpu_hour(server_usd=300_000, gpus_per_server=8, years=4,
...       power_kw=10.2, pue=1.3, usd_per_kwh=0.10), 4)
1.236
>>> p = node_packing(replica_gpus=3, replicas=5, gpus_per_node=8)
>>> p.nodes, p.stranded_gpus
(3, 9)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .validate import finite_result, non_negative_number, positive_int, positive_number

__all__ = ["HOURS_PER_YEAR", "owned_usd_per_gpu_hour", "owning_break_even_utilization",
           "NodePacking", "node_packing"]

HOURS_PER_YEAR = 8760


def owned_usd_per_gpu_hour(
    *,
    server_usd: float,
    gpus_per_server: int,
    years: float,
    power_kw: float,
    pue: float,
    usd_per_kwh: float,
    other_usd_per_year: float = 0.0,
) -> float:
    """Hourly cost of one owned GPU: depreciation, power with cooling, other running costs.

    >>> owned_usd_per_gpu_hour(server_usd=8760, gpus_per_server=1, years=1, power_kw=1,
    ...                        pue=1, usd_per_kwh=1)
    2.0
    >>> owned_usd_per_gpu_hour(server_usd=1, gpus_per_server=1, years=1, power_kw=1, pue=0.9,
    ...                        usd_per_kwh=1)
    Traceback (most recent call last):
        ...
    ValueError: pue must be a number >= 1, got 0.9
    """
    capex = non_negative_number("server_usd", server_usd)
    n = positive_int("gpus_per_server", gpus_per_server)
    life = positive_number("years", years)
    kw = non_negative_number("power_kw", power_kw)
    positive_number("pue", pue)
    if pue < 1:
        raise ValueError(f"pue must be a number >= 1, got {pue!r}")
    rate = non_negative_number("usd_per_kwh", usd_per_kwh)
    other = non_negative_number("other_usd_per_year", other_usd_per_year)
    per_server_hour = capex / (life * HOURS_PER_YEAR) + kw * pue * rate + other / HOURS_PER_YEAR
    return finite_result("cost per GPU-hour", per_server_hour / n,
                         "server_usd, power_kw, usd_per_kwh or other_usd_per_year")


def owning_break_even_utilization(owned_usd_per_gpu_hour: float,
                                  rented_usd_per_gpu_hour: float) -> float:
    """Busy share of the hours above which owning is cheaper than renting only when busy.

    Above 1.0 renting always wins, even at full use.

    >>> owning_break_even_utilization(1.5, 3.0)
    0.5
    """
    own = positive_number("owned_usd_per_gpu_hour", owned_usd_per_gpu_hour)
    rent = positive_number("rented_usd_per_gpu_hour", rented_usd_per_gpu_hour)
    return finite_result("break-even utilization", own / rent, "the two prices")


@dataclass(frozen=True, kw_only=True)
class NodePacking:
    """Whole nodes a fleet of ``replicas`` replicas of ``replica_gpus`` GPUs rents."""

    replica_gpus: int
    replicas: int
    gpus_per_node: int
    replicas_per_node: int
    nodes: int
    used_gpus: int
    stranded_gpus: int

    @property
    def paid_over_used(self) -> float:
        """GPUs paid for over GPUs used: the factor on a per-GPU price."""
        return self.nodes * self.gpus_per_node / self.used_gpus


def node_packing(*, replica_gpus: int, replicas: int, gpus_per_node: int = 8) -> NodePacking:
    """Nodes needed when replicas cannot span nodes, and the GPUs left idle.

    >>> node_packing(replica_gpus=16, replicas=1, gpus_per_node=8)
    Traceback (most recent call last):
        ...
    ValueError: replica_gpus must be at most gpus_per_node (8) for a replica inside one node, got 16
    """
    tp = positive_int("replica_gpus", replica_gpus)
    count = positive_int("replicas", replicas)
    node = positive_int("gpus_per_node", gpus_per_node)
    if tp > node:
        raise ValueError(f"replica_gpus must be at most gpus_per_node ({node}) for a replica "
                         f"inside one node, got {tp}")
    per_node = node // tp
    nodes = math.ceil(count / per_node)
    used = count * tp
    return NodePacking(replica_gpus=tp, replicas=count, gpus_per_node=node,
                       replicas_per_node=per_node, nodes=nodes, used_gpus=used,
                       stranded_gpus=nodes * node - used)
