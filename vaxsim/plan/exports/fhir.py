"""FHIR R4 resources of a plan, written as NDJSON (one file per resource type).

- ``Location``: every store and site (address: district, ISO 3166-2 province, country VN).
- ``Medication``: one per lot, coded with the product's codes, ``batch {lotNumber, expirationDate}``.
- ``SupplyDelivery``: one per shipment line (lot, doses, destination, ship and arrival dates).
- ``Schedule``: one per (site, product, dose number), with the SMART Scheduling Links
  vaccine-product and vaccine-dose extensions.
- ``Slot``: per capacity row a ``free`` Slot (capacity − booked) and a ``busy`` Slot (booked),
  each with the slot-capacity extension; a Slot with capacity 0 is not written.
- ``Appointment``: one per appointment, ``booked``, in the capacity row's busy Slot; the person
  appears only as the plan's keyed hash (an identifier, never a name).

Ids come from plan ids (:func:`~vaxsim.plan.ids.key_id`, the plan's id rule), so re-exporting a revision
updates resources rather than duplicating them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from vaxsim.plan.exports.common import local_instant, ndjson
from vaxsim.plan.exports.places import district_names, iso_subdivision, province_names
from vaxsim.plan.ids import key_id
from vaxsim.plan.plan import Plan
from vaxsim.plan.tables import CVX_SYSTEM as CVX

SSL = "http://fhir-registry.smarthealthit.org"
EXT_PRODUCT = f"{SSL}/StructureDefinition/vaccine-product"
EXT_DOSE = f"{SSL}/StructureDefinition/vaccine-dose"
EXT_CAPACITY = f"{SSL}/StructureDefinition/slot-capacity"
EXT_DEEP_LINK = f"{SSL}/StructureDefinition/booking-deep-link"
EXT_ORIGIN = "https://vaxsim.org/fhir/StructureDefinition/origin-location"
SITE_IDS = "https://vaxsim.org/fhir/NamingSystem/site-id"
PLAN_IDS = "https://vaxsim.org/fhir/NamingSystem/plan-id"
PERSON_KEYS = "https://vaxsim.org/fhir/NamingSystem/person-key"
#: Default booking page of sites: the national COVID-19 vaccination portal (2021).
BOOKING_URL = "https://tiemchungcovid19.gov.vn"

IMMUNIZATION_SERVICE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/service-type",
            "code": "57",
            "display": "Immunization",
        },
        {
            "system": f"{SSL}/CodeSystem/service-type",
            "code": "covid19-immunization",
            "display": "COVID-19 Immunization Appointment",
        },
    ]
}
DELIVERY_STATUS = {
    "planned": "in-progress",
    "in_transit": "in-progress",
    "delivered": "completed",
    "cancelled": "abandoned",
}
SITE_TYPE_TEXT = {
    "national_store": "National vaccine store",
    "regional_store": "Regional vaccine store",
    "provincial_store": "Provincial vaccine store",
    "district_store": "District vaccine store",
    "vaccination_site": "Vaccination site",
    "mobile_team": "Mobile vaccination team",
}


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def site_url(booking_url: str, site_id: str) -> str:
    return f"{booking_url}?location={key_id(site_id)}"


def location(site: Any, booking_url: str = BOOKING_URL) -> dict[str, Any]:
    """Location of a sites row. Telecom: the booking page (the plan holds no phone numbers)."""
    address: dict[str, Any] = {"use": "work", "country": "VN"}
    district = district_names().get(site.district_code) if _present(site.district_code) else None
    province = province_names().get(site.province_code) if _present(site.province_code) else None
    if district:
        address["city"] = district
        address["district"] = district
    elif province:
        address["city"] = province
    state = iso_subdivision(site.province_code) if _present(site.province_code) else None
    if state:
        address["state"] = state
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": key_id(site.site_id),
        "identifier": [{"system": SITE_IDS, "value": site.site_id}],
        "status": "active",
        "name": site.name,
        "mode": "instance",
        "type": [{"text": SITE_TYPE_TEXT.get(site.site_type, site.site_type)}],
        "telecom": [{"system": "url", "value": site_url(booking_url, site.site_id), "use": "work"}],
        "address": address,
    }
    if _present(site.lat) and _present(site.lon):
        resource["position"] = {"latitude": float(site.lat), "longitude": float(site.lon)}
    return resource


def product_codings(plan: Plan, product_id: str) -> list[dict[str, str]]:
    codes = plan.product_codes[plan.product_codes.product_id == product_id]
    return [
        {
            "system": row.system,
            "code": row.code,
            **({"display": row.display} if _present(row.display) else {}),
        }
        for row in codes.itertuples()
    ]


def vaccine_coding(plan: Plan, product_id: str) -> dict[str, str]:
    """The product's CVX coding (the vaccine-product extension's code system), else its first code."""
    codings = product_codings(plan, product_id)
    for coding in codings:
        if coding["system"] == CVX:
            return coding
    return codings[0] if codings else {"system": PLAN_IDS, "code": product_id}


def medication(plan: Plan, lot: Any, names: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Medication",
        "id": key_id(lot.lot_id),
        "identifier": [{"system": PLAN_IDS, "value": lot.lot_id}],
        "code": {
            "coding": product_codings(plan, lot.product_id),
            "text": names.get(lot.product_id, lot.product_id),
        },
        "status": "active",
        "batch": {"lotNumber": lot.lot_number, "expirationDate": lot.expiry_date},
    }


def supply_delivery(shipment: Any, line: Any) -> dict[str, Any]:
    return {
        "resourceType": "SupplyDelivery",
        "id": key_id(shipment.shipment_id, line.line_no),
        "identifier": [{"system": PLAN_IDS, "value": f"{shipment.shipment_id}/{line.line_no}"}],
        "extension": [
            {"url": EXT_ORIGIN, "valueReference": {"reference": f"Location/{key_id(shipment.from_site_id)}"}}
        ],
        "status": DELIVERY_STATUS[shipment.status],
        "type": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/supply-item-type", "code": "medication"}
            ]
        },
        "suppliedItem": {
            "quantity": {
                "value": int(line.doses),
                "unit": "dose",
                "system": "http://unitsofmeasure.org",
                "code": "{dose}",
            },
            "itemReference": {"reference": f"Medication/{key_id(line.lot_id)}"},
        },
        "occurrencePeriod": {"start": shipment.ship_date, "end": shipment.arrival_date},
        "destination": {"reference": f"Location/{key_id(shipment.to_site_id)}"},
    }


def schedule_id(site_id: str, product_id: str, dose: int) -> str:
    return key_id(site_id, product_id, f"d{dose}")


def schedules(plan: Plan, zones: dict[str, str]) -> list[dict[str, Any]]:
    """One Schedule per (site, product, dose number) that has capacity, over its service dates."""
    found = []
    groups = plan.capacity.groupby(["site_id", "product_id", "dose_number"], sort=True)
    for (site, product, dose), rows in groups:
        zone = zones[site]
        found.append(
            {
                "resourceType": "Schedule",
                "id": schedule_id(site, product, int(dose)),
                "extension": [
                    {"url": EXT_PRODUCT, "valueCoding": vaccine_coding(plan, product)},
                    {"url": EXT_DOSE, "valueInteger": int(dose)},
                ],
                "active": True,
                "serviceType": [IMMUNIZATION_SERVICE],
                "actor": [{"reference": f"Location/{key_id(site)}"}],
                "planningHorizon": {
                    "start": local_instant(rows.service_date.min(), "00:00", zone),
                    "end": local_instant(rows.service_date.max(), "23:59", zone),
                },
            }
        )
    return found


def slot_id(capacity_id: str, status: str) -> str:
    return key_id(capacity_id, status)


def slots(
    plan: Plan, zones: dict[str, str], booking_url: str = BOOKING_URL
) -> list[tuple[str, str, dict[str, Any]]]:
    """``(service date, site id, Slot)`` for each capacity row: a free and a busy Slot (count > 0)."""
    found = []
    for row in plan.capacity.itertuples():
        zone = zones[row.site_id]
        for status, count in (("free", row.capacity - row.booked), ("busy", row.booked)):
            if count <= 0:
                continue
            resource: dict[str, Any] = {
                "resourceType": "Slot",
                "id": slot_id(row.capacity_id, status),
                "identifier": [{"system": PLAN_IDS, "value": row.capacity_id}],
                "schedule": {
                    "reference": f"Schedule/{schedule_id(row.site_id, row.product_id, row.dose_number)}"
                },
                "status": status,
                "start": local_instant(row.service_date, row.session_start, zone),
                "end": local_instant(row.service_date, row.session_end, zone),
                "extension": [{"url": EXT_CAPACITY, "valueInteger": int(count)}],
            }
            if status == "free":
                resource["extension"].insert(
                    0,
                    {
                        "url": EXT_DEEP_LINK,
                        "valueUrl": f"{site_url(booking_url, row.site_id)}&slot={resource['id']}",
                    },
                )
            found.append((row.service_date, row.site_id, resource))
    return found


def appointment(row: Any, slot: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": key_id(row.appointment_id),
        "identifier": [{"system": PLAN_IDS, "value": row.appointment_id}],
        "status": "booked",
        "serviceType": [IMMUNIZATION_SERVICE],
        "start": row.window_start,
        "end": row.window_end,
        "slot": [{"reference": f"Slot/{slot_id(row.capacity_id, 'busy')}"}],
        "participant": [
            {
                "actor": {
                    "identifier": {"system": PERSON_KEYS, "value": row.person_key},
                    "display": "person (keyed hash)",
                },
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": {"reference": f"Location/{key_id(slot.site_id)}"},
                "required": "required",
                "status": "accepted",
            },
        ],
    }


def fhir_resources(plan: Plan, booking_url: str = BOOKING_URL) -> dict[str, list[dict[str, Any]]]:
    """Every resource of the plan by resource type, in a deterministic order."""
    zones = dict(zip(plan.sites.site_id, plan.sites.timezone, strict=True))
    names = dict(zip(plan.products.product_id, plan.products.name, strict=True))
    capacity = {row.capacity_id: row for row in plan.capacity.itertuples()}
    shipments = {row.shipment_id: row for row in plan.shipments.itertuples()}
    return {
        "Location": [location(site, booking_url) for site in plan.sites.itertuples()],
        "Medication": [medication(plan, lot, names) for lot in plan.lots.itertuples()],
        "SupplyDelivery": [
            supply_delivery(shipments[line.shipment_id], line) for line in plan.shipment_lines.itertuples()
        ],
        "Schedule": schedules(plan, zones),
        "Slot": [resource for _, _, resource in slots(plan, zones, booking_url)],
        "Appointment": [
            appointment(row, capacity[row.capacity_id]) for row in plan.appointments.itertuples()
        ],
    }


def write_fhir(plan: Plan, folder: Path, booking_url: str = BOOKING_URL) -> list[Path]:
    """Write ``<ResourceType>.ndjson`` for each resource type into ``folder``; return the files."""
    written = []
    for kind, resources in fhir_resources(plan, booking_url).items():
        path = folder / f"{kind}.ndjson"
        path.write_text(ndjson(resources), encoding="utf-8")
        written.append(path)
    return written
