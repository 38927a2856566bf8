"""SMART Scheduling Links publication of a plan: ``$bulk-publish``, ``locations.ndjson``,
``schedules.ndjson`` and one ``slots-YYYY-MM-DD.ndjson`` per service date.

One Location per vaccination site (and mobile team), one Schedule per (site, product, dose
number) with the vaccine-product and vaccine-dose extensions, and per capacity row a ``free``
Slot (capacity − booked, with a booking deep link) and a ``busy`` Slot (booked), each with the
slot-capacity extension.

Deviations for a publisher outside the US (the specification and its Inferno profiles are
written for the US):

- No VTrckS identifier: the profile's ``vTrckS`` identifier slice is a CDC programme id; sites
  are identified by their vaxsim site id instead (system ``SITE_IDS``).
- ``address.state`` is the ISO 3166-2 subdivision code of the province (``VN-SG``), not a
  two-letter US state; the manifest's ``extension.state`` lists the same codes.
- ``address.line`` and ``address.postalCode`` are absent: a plan holds no street addresses or
  postal codes. Location telecom is the booking page (no phone numbers in a plan).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from vaxsim.plan.exports.common import ndjson
from vaxsim.plan.exports.fhir import BOOKING_URL, location, schedules, slots
from vaxsim.plan.exports.places import iso_subdivision
from vaxsim.plan.plan import Plan

MANIFEST = "$bulk-publish"
PUBLISHED_SITES = ("vaccination_site", "mobile_team")


def write_ssl(
    plan: Plan, folder: Path, *, base_url: str, transaction_time: str, booking_url: str = BOOKING_URL
) -> list[Path]:
    """Write the publication into ``folder``; ``base_url`` is where the files will be served
    (ends with ``/``), ``transaction_time`` an RFC 3339 instant (the bundle's ``generated_at``)."""
    if not base_url.endswith("/"):
        base_url += "/"
    sites = plan.sites[plan.sites.site_type.isin(PUBLISHED_SITES)]
    zones = dict(zip(plan.sites.site_id, plan.sites.timezone, strict=True))
    state_of = {row.site_id: iso_subdivision(row.province_code) for row in sites.itertuples()}
    files: dict[str, str] = {
        "locations.ndjson": ndjson(location(site, booking_url) for site in sites.itertuples()),
        "schedules.ndjson": ndjson(schedules(plan, zones)),
    }
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    states: dict[str, set[str]] = defaultdict(set)
    for day, site, slot in slots(plan, zones, booking_url):
        by_day[day].append(slot)
        if state_of.get(site):
            states[day].add(state_of[site])
    for day in sorted(by_day):
        files[f"slots-{day}.ndjson"] = ndjson(by_day[day])
    output = [
        {"type": "Location", "url": base_url + "locations.ndjson"},
        {"type": "Schedule", "url": base_url + "schedules.ndjson"},
    ]
    for day in sorted(by_day):
        entry: dict[str, Any] = {"type": "Slot", "url": base_url + f"slots-{day}.ndjson"}
        if states[day]:
            entry["extension"] = {"state": sorted(states[day])}
        output.append(entry)
    manifest = {
        "transactionTime": transaction_time,
        "request": base_url + MANIFEST,
        "output": output,
        "error": [],
    }
    files[MANIFEST] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    written = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written
