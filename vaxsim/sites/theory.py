"""Queueing theory the site models are checked against (M/M/c, Erlang C).

Rates are per minute, times are minutes.
"""

from __future__ import annotations

import math


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (Erlang's C formula).

    ``servers`` = c, ``arrival_rate`` = λ, ``service_rate`` = μ per server; needs λ < cμ.
    Computed through the Erlang B recursion, which is stable for large c.
    """
    if servers < 1:
        raise ValueError("an M/M/c queue needs at least one server")
    load = arrival_rate / service_rate
    if load >= servers:
        raise ValueError(f"unstable queue: offered load {load} >= {servers} servers")
    blocking = 1.0  # Erlang B with 0 servers
    for c in range(1, servers + 1):
        blocking = load * blocking / (c + load * blocking)
    rho = load / servers
    return blocking / (1.0 - rho + rho * blocking)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue Wq (minutes) of an M/M/c queue: C(c, a) / (cμ − λ)."""
    return erlang_c(servers, arrival_rate, service_rate) / (
        servers * service_rate - arrival_rate
    )


def mmc_wait_sf(wait: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """P(Wq > wait) for an M/M/c queue: C(c, a) · exp(−(cμ − λ) · wait)."""
    return erlang_c(servers, arrival_rate, service_rate) * math.exp(
        -(servers * service_rate - arrival_rate) * wait
    )
