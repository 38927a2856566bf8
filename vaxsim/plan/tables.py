"""The tables of a plan: columns, types, units and keys (PLAN_FORMAT.md, "Tables").

This is the one place that says what a plan table holds. The optimizer fills these tables, the
bundle writer turns them into CSV and a Frictionless ``datapackage.json``, the reader parses them
back, and the checker verifies them. Quantities are whole doses (or whole persons); dates are
local calendar dates ``YYYY-MM-DD``; times of day are local ``HH:MM``.

Types are Frictionless field types: ``string``, ``integer``, ``number``, ``date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column: its name, Frictionless type, whether it may be empty, and what it means."""

    name: str
    type: str
    description: str
    required: bool = True
    unit: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    """``fields`` of this table refer to ``reference_fields`` of ``reference_table``."""

    fields: tuple[str, ...]
    reference_table: str
    reference_fields: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """A plan table: its columns in order, primary key, unique keys and foreign keys."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    unique_keys: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _c(name: str, type: str, description: str, *, required: bool = True, unit: str | None = None) -> Column:
    return Column(name, type, description, required, unit)


SITE_TYPES = (
    "national_store",
    "regional_store",
    "provincial_store",
    "district_store",
    "vaccination_site",
    "mobile_team",
)
SHIPMENT_STATUSES = ("planned", "in_transit", "delivered", "cancelled")
#: What a site's ``lat``/``lon`` locate: the site itself, or (where the scenario has no position
#: for it) the reference point of its district or province.
LAT_LON_SOURCES = ("site", "district", "province")

#: Code systems of ``product_codes``: CDC CVX, GS1 GTIN, and vaxsim's own product ids.
CVX_SYSTEM = "http://hl7.org/fhir/sid/cvx"
GTIN_SYSTEM = "https://www.gs1.org/gtin"
LOCAL_PRODUCT_SYSTEM = "urn:vaxsim:product"

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "products",
            "Vaccine products and their handling rules.",
            (
                _c("product_id", "string", "Product id (scenario key)."),
                _c("name", "string", "Product name."),
                _c("doses_per_vial", "integer", "Doses in one vial.", unit="doses"),
                _c("series_doses", "integer", "Doses in the primary series.", unit="doses"),
                _c("min_interval_days", "integer", "Minimum days between doses", required=False, unit="days"),
                _c("max_interval_days", "integer", "Maximum days between doses", required=False, unit="days"),
                _c("storage_min_c", "number", "Lowest storage temperature.", unit="°C"),
                _c("storage_max_c", "number", "Highest storage temperature.", unit="°C"),
                _c("open_vial_hours", "number", "Hours an opened vial stays usable.", unit="h"),
                _c("packed_volume_cm3_per_dose", "number", "Packed volume per dose.", unit="cm3"),
            ),
            ("product_id",),
        ),
        TableSpec(
            "product_codes",
            "Codes of each product in standard code systems (CVX, ICD-11, GTIN, local).",
            (
                _c("product_id", "string", "Product id."),
                _c("system", "string", "Code system URI."),
                _c("code", "string", "Code in that system."),
                _c("display", "string", "Human-readable name of the code.", required=False),
            ),
            ("product_id", "system", "code"),
            foreign_keys=(ForeignKey(("product_id",), "products", ("product_id",)),),
        ),
        TableSpec(
            "sites",
            "Stores and vaccination sites: where stock is held or doses are given.",
            (
                _c("site_id", "string", "Site or store id."),
                _c("name", "string", "Name."),
                _c("site_type", "string", f"One of {', '.join(SITE_TYPES)}."),
                _c("supply_parent_id", "string", "Store this site is supplied from.", required=False),
                _c("admin_parent_id", "string", "Administrative parent (district or province code).",
                   required=False),
                _c("province_code", "string", "Province code.", required=False),
                _c("district_code", "string", "District code.", required=False),
                _c("lat", "number", "Latitude (WGS 84).", required=False, unit="degrees"),
                _c("lon", "number", "Longitude (WGS 84).", required=False, unit="degrees"),
                _c("lat_lon_source", "string",
                   f"What lat/lon locate: one of {', '.join(LAT_LON_SOURCES)} (a site without a position "
                   "of its own gets its district's or province's reference point).", required=False),
                _c("timezone", "string", "IANA time zone."),
                _c("cold_chain_litres_2_8c", "number", "+2..+8 °C storage.", required=False, unit="L"),
                _c("cold_chain_litres_frozen", "number", "Frozen storage.", required=False, unit="L"),
                _c("cold_chain_litres_ult", "number", "Ultra-cold storage.", required=False, unit="L"),
                _c("max_doses_per_day", "integer", "Throughput limit of a vaccination site.",
                   required=False, unit="doses/day"),
            ),
            ("site_id",),
            foreign_keys=(ForeignKey(("supply_parent_id",), "sites", ("site_id",)),),
        ),
        TableSpec(
            "lots",
            "Vaccine lots: where and when they arrive, how many doses, until when usable.",
            (
                _c("lot_id", "string", "Lot id (deterministic)."),
                _c("product_id", "string", "Product."),
                _c("gtin", "string", "GTIN of the pack (the product's GTIN; the product id where unknown)."),
                _c("lot_number", "string", "Manufacturer's lot number."),
                _c("expiry_date", "date", "Last day the lot may be used."),
                _c("doses", "integer", "Doses in the lot.", unit="doses"),
                _c("arrival_site_id", "string", "Store where the lot arrives."),
                _c("arrival_date", "date", "Day the lot arrives."),
            ),
            ("lot_id",),
            unique_keys=(("gtin", "lot_number"),),
            foreign_keys=(
                ForeignKey(("product_id",), "products", ("product_id",)),
                ForeignKey(("arrival_site_id",), "sites", ("site_id",)),
            ),
        ),
        TableSpec(
            "shipments",
            "Shipments between stores and to sites.",
            (
                _c("shipment_id", "string", "Shipment id (deterministic)."),
                _c("from_site_id", "string", "Origin store."),
                _c("to_site_id", "string", "Destination store or site."),
                _c("ship_date", "date", "Day it leaves."),
                _c("arrival_date", "date", "Day it arrives."),
                _c("status", "string", f"One of {', '.join(SHIPMENT_STATUSES)}."),
                _c("reason", "string", "Why it is sent (e.g. allocation).", required=False),
            ),
            ("shipment_id",),
            foreign_keys=(
                ForeignKey(("from_site_id",), "sites", ("site_id",)),
                ForeignKey(("to_site_id",), "sites", ("site_id",)),
            ),
        ),
        TableSpec(
            "shipment_lines",
            "Lots and doses on each shipment.",
            (
                _c("shipment_id", "string", "Shipment."),
                _c("line_no", "integer", "Line number, from 1."),
                _c("lot_id", "string", "Lot."),
                _c("doses", "integer", "Doses of the lot on the shipment.", unit="doses"),
            ),
            ("shipment_id", "line_no"),
            foreign_keys=(
                ForeignKey(("shipment_id",), "shipments", ("shipment_id",)),
                ForeignKey(("lot_id",), "lots", ("lot_id",)),
            ),
        ),
        TableSpec(
            "capacity",
            "Appointment capacity per site, day, session, product, dose number and priority group.",
            (
                _c("capacity_id", "string", "Capacity row id (deterministic)."),
                _c("site_id", "string", "Vaccination site."),
                _c("service_date", "date", "Local date of the session."),
                _c("session_start", "string", "Local start time HH:MM."),
                _c("session_end", "string", "Local end time HH:MM."),
                _c("product_id", "string", "Product given."),
                _c("dose_number", "integer", "Dose number in the series (1 = first)."),
                _c("priority_group", "string", "Priority group served."),
                _c("capacity", "integer", "Appointments opened.", unit="persons"),
                _c("booked", "integer", "Appointments booked.", unit="persons"),
            ),
            ("capacity_id",),
            foreign_keys=(
                ForeignKey(("site_id",), "sites", ("site_id",)),
                ForeignKey(("product_id",), "products", ("product_id",)),
            ),
        ),
        TableSpec(
            "registrant_allocations",
            "Approved registrants allocated down the hierarchy (province → district → site).",
            (
                _c("allocation_id", "string", "Allocation id (deterministic)."),
                _c("from_unit_id", "string", "Allocating unit (province or district code, or site)."),
                _c("to_unit_id", "string", "Receiving unit."),
                _c("service_date", "date", "Day the allocated people are to be vaccinated."),
                _c("product_id", "string", "Product."),
                _c("dose_number", "integer", "Dose number."),
                _c("priority_group", "string", "Priority group."),
                _c("persons", "integer", "People allocated.", unit="persons"),
            ),
            ("allocation_id",),
            foreign_keys=(ForeignKey(("product_id",), "products", ("product_id",)),),
        ),
        TableSpec(
            "appointments",
            "Booked appointments (no personal data: a keyed hash stands for the person).",
            (
                _c("appointment_id", "string", "Appointment id (deterministic)."),
                _c("capacity_id", "string", "Capacity row the appointment is booked in."),
                _c("person_key", "string", "Keyed hash of the person (never personal data)."),
                _c("window_start", "string", "RFC 3339 instant with offset."),
                _c("window_end", "string", "RFC 3339 instant with offset."),
                _c("notify_at", "string", "RFC 3339 instant of the SMS notice.", required=False),
            ),
            ("appointment_id",),
            foreign_keys=(ForeignKey(("capacity_id",), "capacity", ("capacity_id",)),),
        ),
        TableSpec(
            "stock_projection",
            "Projected stock per site, day and lot: opening + received − issued − administered − "
            "wasted − expired = closing.",
            (
                _c("site_id", "string", "Store or site."),
                _c("date", "date", "Local date."),
                _c("lot_id", "string", "Lot."),
                _c("opening", "integer", "Doses on hand at the start of the day.", unit="doses"),
                _c("received", "integer", "Doses received.", unit="doses"),
                _c("issued", "integer", "Doses shipped out.", unit="doses"),
                _c("administered", "integer", "Doses given.", unit="doses"),
                _c("wasted", "integer", "Doses wasted from opened vials.", unit="doses"),
                _c("expired", "integer", "Doses written off at expiry or thaw-clock end.", unit="doses"),
                _c("closing", "integer", "Doses on hand at the end of the day.", unit="doses"),
            ),
            ("site_id", "date", "lot_id"),
            foreign_keys=(
                ForeignKey(("site_id",), "sites", ("site_id",)),
                ForeignKey(("lot_id",), "lots", ("lot_id",)),
            ),
        ),
        TableSpec(
            "opening_stock",
            "What a re-plan starts from (digital twin): the simulated state's stock per store and lot "
            "on the day the plan starts, doses set aside for appointments already booked, and doses "
            "on the road per arrival day. Empty for a plan from the campaign's start.",
            (
                _c("site_id", "string", "Store (or site) holding or receiving the doses."),
                _c("lot_id", "string", "Lot."),
                _c("date", "date", "Local date: the day the plan starts, or the day doses on the road "
                   "arrive."),
                _c("on_hand", "integer", "Doses on hand at the start of the day the plan starts.",
                   unit="doses"),
                _c("reserved", "integer", "Of the doses on hand or arriving that day, those set aside for "
                   "appointments already booked (they leave as issued that day).", unit="doses"),
                _c("in_transit", "integer", "Doses on the road that arrive that day.", unit="doses"),
                _c("use_by", "date", "Last day any dose of the lot may be used in this plan: its expiry, "
                   "or earlier where the simulated state's thaw clocks end sooner."),
            ),
            ("site_id", "lot_id", "date"),
            foreign_keys=(
                ForeignKey(("site_id",), "sites", ("site_id",)),
                ForeignKey(("lot_id",), "lots", ("lot_id",)),
            ),
        ),
    )
}
"""Every plan table, in the order of PLAN_FORMAT.md."""
