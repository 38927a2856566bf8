"""Semantic checks: what the field types alone cannot catch (references, dates, totals).

Each check yields ``(path, message)`` with the path into the scenario data, so the loader can
name the file and line. All checks run; every problem is reported at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from vaxsim.errors import Path
from vaxsim.scenario.base import minutes_of_day, slot_count
from vaxsim.scenario.cold_chain import StoreLevel
from vaxsim.scenario.ids import district_store_id, generated_site_id, provincial_store_id
from vaxsim.scenario.products import StorageClass
from vaxsim.scenario.scenario import Scenario
from vaxsim.scenario.size import size_findings

Finding = tuple[Path, str]


def check(scenario: Scenario) -> list[Finding]:
    """Every semantic problem of ``scenario``, in file order within each check.

    A scenario too large for the format or the machine gets only those findings: the other
    checks would enumerate its sites."""
    findings: list[Finding] = list(size_findings(scenario))
    if findings:
        return findings
    for rule in (
        _people,
        _geography,
        _products,
        _stores,
        _supply,
        _sites,
        _site_type_bookings,
        _policies,
    ):
        findings.extend(rule(scenario))
    return findings


def _duplicates(ids: list[str], path_of: list[Path], what: str) -> Iterator[Finding]:
    counts = Counter(ids)
    seen: set[str] = set()
    for identifier, path in zip(ids, path_of, strict=True):
        if counts[identifier] > 1 and identifier in seen:
            yield path, f"duplicate {what} id {identifier!r}"
        seen.add(identifier)


def _people(scenario: Scenario) -> Iterator[Finding]:
    people = scenario.people
    bands = [band.id for band in people.age_bands]
    yield from _duplicates(bands, [("people", "age_bands", i, "id") for i in range(len(bands))], "age band")
    groups = [group.id for group in people.priority_groups]
    group_paths: list[Path] = [("people", "priority_groups", i, "id") for i in range(len(groups))]
    yield from _duplicates(groups, group_paths, "priority group")
    known = set(bands)
    claimed: Counter[str] = Counter()
    remainders = 0
    for i, group in enumerate(people.priority_groups):
        remainders += group.remainder
        for band, share in group.share_of_age_band.items():
            if band not in known:
                yield (
                    ("people", "priority_groups", i, "share_of_age_band", band),
                    f"unknown age band {band!r}",
                )
            claimed[band] += share
    for band, total in claimed.items():
        if total > 1 + 1e-9:
            yield ("people", "priority_groups"), f"shares of age band {band!r} add up to {total:g} (> 1)"
    if remainders > 1:
        yield ("people", "priority_groups"), "at most one priority group may have remainder: true"
    if people.eligibility.age_bands:
        for i, band in enumerate(people.eligibility.age_bands):
            if band not in known:
                yield ("people", "eligibility", "age_bands", i), f"unknown age band {band!r}"
    for band in people.registration.uptake_by_age_band:
        if band not in known:
            yield ("people", "registration", "uptake_by_age_band", band), f"unknown age band {band!r}"


def _geography(scenario: Scenario) -> Iterator[Finding]:
    bands = {band.id for band in scenario.people.age_bands}
    groups = {group.id for group in scenario.people.priority_groups}
    stores = _store_ids(scenario)
    provinces = scenario.geography.provinces
    yield from _duplicates(
        [p.id for p in provinces],
        [("geography", "provinces", i, "id") for i in range(len(provinces))],
        "province",
    )
    district_ids: list[str] = []
    district_paths: list[Path] = []
    for i, province in enumerate(provinces):
        base: Path = ("geography", "provinces", i)
        if province.parent_store is not None and province.parent_store not in stores:
            yield base + ("parent_store",), f"unknown store {province.parent_store!r}"
        for j, district in enumerate(province.districts):
            path = base + ("districts", j)
            district_ids.append(district.id)
            district_paths.append(path + ("id",))
            for band in district.population:
                if band not in bands:
                    yield path + ("population", band), f"unknown age band {band!r}"
            for group, counts in district.priority_population.items():
                if group not in groups:
                    yield path + ("priority_population", group), f"unknown priority group {group!r}"
                for band, count in counts.items():
                    if band not in bands:
                        yield path + ("priority_population", group, band), f"unknown age band {band!r}"
                    elif count > district.population.get(band, 0):
                        yield (
                            path + ("priority_population", group, band),
                            f"{count} people exceed the district's population of that band "
                            f"({district.population.get(band, 0)})",
                        )
            for site_type in district.generated_sites:
                if site_type not in scenario.site_types:
                    yield path + ("generated_sites", site_type), f"unknown site type {site_type!r}"
    yield from _duplicates(district_ids, district_paths, "district")


def _products(scenario: Scenario) -> Iterator[Finding]:
    for product_id, product in scenario.products.items():
        base: Path = ("products", product_id)
        for k, interval in enumerate(product.series.intervals):
            if interval.min_days > interval.max_days:
                yield (
                    base + ("series", "intervals", k),
                    f"dose interval min_days ({interval.min_days}) is above max_days ({interval.max_days})",
                )
        if product.storage_class is not StorageClass.COLD and product.days_at_2_8c is None:
            yield (
                base + ("days_at_2_8c",),
                f"a {product.storage_class.value} product needs days_at_2_8c (its thaw clock)",
            )


def _store_ids(scenario: Scenario) -> set[str]:
    """Every store id: listed ones plus those generated per province and district."""
    chain = scenario.cold_chain
    ids = {store.id for store in chain.stores}
    for province in scenario.geography.provinces:
        if chain.provincial_store is not None:
            ids.add(provincial_store_id(province.id))
        if chain.district_store is not None:
            ids.update(district_store_id(district.id) for district in province.districts)
    return ids


def _stores(scenario: Scenario) -> Iterator[Finding]:
    chain = scenario.cold_chain
    listed = chain.stores
    yield from _duplicates(
        [s.id for s in listed], [("cold_chain", "stores", i, "id") for i in range(len(listed))], "store"
    )
    all_ids = _store_ids(scenario)
    generated = all_ids - {s.id for s in listed}
    for i, store in enumerate(listed):
        if store.id in generated:
            yield ("cold_chain", "stores", i, "id"), f"store id {store.id!r} clashes with a generated store"
    provinces = {p.id for p in scenario.geography.provinces}
    if not any(store.level is StoreLevel.NATIONAL for store in listed):
        yield ("cold_chain", "stores"), "needs at least one store with level: national"
    parents = {store.id: store.parent for store in listed}
    for i, store in enumerate(listed):
        path: Path = ("cold_chain", "stores", i)
        if store.parent is not None and store.parent not in all_ids:
            yield path + ("parent",), f"unknown store {store.parent!r}"
        if store.province is not None and store.province not in provinces:
            yield path + ("province",), f"unknown province {store.province!r}"
        seen = {store.id}
        parent = store.parent
        while parent in parents:
            if parent in seen:
                yield path + ("parent",), f"store {store.id!r} is its own ancestor (a supply cycle)"
                break
            seen.add(parent)
            parent = parents[parent]
    for i, link in enumerate(chain.links):
        for end, store in (("from", link.from_store), ("to", link.to_store)):
            if store not in all_ids:
                yield ("cold_chain", "links", i, end), f"link to unknown store {store!r}"
        if link.from_store == link.to_store:
            yield ("cold_chain", "links", i), "a link must join two different stores"


def _supply(scenario: Scenario) -> Iterator[Finding]:
    campaign = scenario.campaign
    stores = _store_ids(scenario)
    lots: dict[tuple[str, str], int] = {}
    for i, delivery in enumerate(scenario.supply.deliveries):
        path: Path = ("supply", "deliveries", i)
        if delivery.product not in scenario.products:
            yield path + ("product",), f"unknown product {delivery.product!r}"
        if delivery.store not in stores:
            yield path + ("store",), f"unknown store {delivery.store!r}"
        if delivery.expiry < delivery.date:
            yield (
                path + ("expiry",),
                f"lot {delivery.lot!r} expires ({delivery.expiry}) before it arrives ({delivery.date})",
            )
        if not campaign.start_date <= delivery.date <= campaign.end_date:
            yield (
                path + ("date",),
                f"delivery on {delivery.date} is outside the campaign "
                f"({campaign.start_date} to {campaign.end_date})",
            )
        key = (delivery.product, delivery.lot)
        if key in lots:
            yield (
                path + ("lot",),
                f"lot {delivery.lot!r} of {delivery.product!r} is already delivered "
                f"at deliveries[{lots[key]}]",
            )
        else:
            lots[key] = i


def _sites(scenario: Scenario) -> Iterator[Finding]:
    districts = {d.id for p in scenario.geography.provinces for d in p.districts}
    site_ids: list[str] = []
    site_paths: list[Path] = []
    for i, site in enumerate(scenario.sites):
        path: Path = ("sites", i)
        site_ids.append(site.id)
        site_paths.append(path + ("id",))
        if site.district not in districts:
            yield path + ("district",), f"site {site.id!r} is in unknown district {site.district!r}"
        if site.type not in scenario.site_types:
            yield path + ("type",), f"unknown site type {site.type!r}"
    for i, province in enumerate(scenario.geography.provinces):
        for j, district in enumerate(province.districts):
            for site_type, count in district.generated_sites.items():
                for number in range(1, count + 1):
                    site_ids.append(generated_site_id(district.id, site_type, number))
                    site_paths.append(
                        ("geography", "provinces", i, "districts", j, "generated_sites", site_type)
                    )
    yield from _duplicates(site_ids, site_paths, "site")
    if not site_ids:
        yield ("sites",), "the scenario has no vaccination site (list sites or use generated_sites)"


def _site_type_bookings(scenario: Scenario) -> Iterator[Finding]:
    """A site type's block sizes per slot give one number per slot of each session."""
    default = scenario.policies.appointment_slot_minutes
    for name, site_type in scenario.site_types.items():
        booked = site_type.booked_per_slot
        if not isinstance(booked, list):
            continue
        slot = site_type.slot_minutes(default)
        for index, (session, entry) in enumerate(zip(site_type.sessions, booked, strict=True)):
            slots = slot_count(minutes_of_day(session.start), minutes_of_day(session.end), slot)
            if isinstance(entry, list) and len(entry) != slots:
                yield (("site_types", name, "booked_per_slot", index),
                       f"{len(entry)} numbers for the {slots} slots of {slot:g} minutes of session "
                       f"{session.start}-{session.end} (give one per slot, or one number)")


def _policies(scenario: Scenario) -> Iterator[Finding]:
    for i, pair in enumerate(scenario.policies.mixing.pairs):
        for k, product in enumerate(pair):
            if product not in scenario.products:
                yield ("policies", "mixing", "pairs", i, k), f"unknown product {product!r}"
