"""How big a scenario's model will be, checked before anything is built.

The limits of :mod:`vaxsim.scenario.limits` bound each number; these checks bound the totals
(sites, people, doses) and refuse a model whose estimated memory exceeds what the machine has,
with the estimate in the message, before the model is compiled.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from vaxsim.errors import Path
from vaxsim.scenario.limits import MAX_SITES, MAX_TOTAL
from vaxsim.scenario.scenario import Scenario

#: Measured on vietnam-2021 (11,299 sites, 313 days, 98 M people: 1.7 GiB peak, national.md),
#: rounded up: bytes per site and day (site-day arrays, sessions, queues) and per person.
BYTES_PER_SITE_DAY = 400
BYTES_PER_PERSON = 4
BASE_BYTES = 300 * 2**20


def site_count(scenario: Scenario) -> int:
    """Sites listed plus sites generated in the districts."""
    generated = sum(
        sum(district.generated_sites.values())
        for province in scenario.geography.provinces
        for district in province.districts
    )
    return len(scenario.sites) + generated


def people_count(scenario: Scenario) -> int:
    """Everyone in the geography (the sum of the districts' age bands)."""
    return sum(
        sum(district.population.values())
        for province in scenario.geography.provinces
        for district in province.districts
    )


def estimated_bytes(scenario: Scenario) -> int:
    """Estimated peak memory (bytes) of simulating ``scenario``."""
    days = scenario.campaign.horizon_days
    return BASE_BYTES + BYTES_PER_SITE_DAY * site_count(scenario) * days + BYTES_PER_PERSON * people_count(
        scenario
    )


def available_bytes() -> int:
    """Memory this machine can give a new model (MemAvailable; the physical memory elsewhere)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**63 - 1


def size_findings(scenario: Scenario, available: int | None = None) -> Iterator[tuple[Path, str]]:
    """Totals above the format's limits, and a model too large for ``available`` bytes."""
    sites = site_count(scenario)
    if sites > MAX_SITES:
        yield ("geography",), f"{sites:,} sites (listed and generated): at most {MAX_SITES:,} are allowed"
        return
    people = people_count(scenario)
    if people > MAX_TOTAL:
        yield ("geography",), f"{people:,} people in all: at most {MAX_TOTAL:,} are allowed"
    doses = sum(delivery.doses for delivery in scenario.supply.deliveries)
    if doses > MAX_TOTAL:
        yield ("supply", "deliveries"), f"{doses:,} doses delivered in all: at most {MAX_TOTAL:,} are allowed"
    need = estimated_bytes(scenario)
    have = available_bytes() if available is None else available
    if need > have:
        yield (
            ("campaign", "horizon_days"),
            f"the model would need about {need / 2**30:.1f} GiB ({sites:,} sites × "
            f"{scenario.campaign.horizon_days} days, {people:,} people); this machine has "
            f"{have / 2**30:.1f} GiB available",
        )
