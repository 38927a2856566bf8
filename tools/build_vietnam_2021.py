"""Write scenarios/vietnam-2021.yaml from the real data in vaxsim/data/.

Run with ``make vietnam`` (or ``python tools/build_vietnam_2021.py [OUTPUT]``). The output is
deterministic; a test regenerates it and fails when the committed file has drifted.
Every rule applied where the data has gaps is written into the scenario's header comment.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

from vaxsim.numeric import largest_remainder

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "vaxsim" / "data"
OUTPUT = ROOT / "scenarios" / "vietnam-2021.yaml"

START = dt.date(2021, 2, 22)  # the Monday before the first arrival (2021-02-24)
END = dt.date(2021, 12, 31)

#: Census five-year bands → scenario bands. A census band split between two scenario bands is
#: shared by whole years, assuming ages are uniform inside the band (as SOURCES.md does for 18+).
AGE_BANDS = {"0-11": (0, 11), "12-17": (12, 17), "18-49": (18, 49), "50-64": (50, 64), "65plus": (65, None)}
CENSUS_BANDS = [(lo, lo + 4) for lo in range(0, 85, 5)] + [(85, None)]

#: Delivery file product names → scenario product ids and lot-number prefixes.
PRODUCTS = {
    "AstraZeneca": ("astrazeneca", "AZ"),
    "Pfizer-BioNTech (Comirnaty)": ("pfizer", "PF"),
    "Moderna (Spikevax)": ("moderna", "MD"),
    "Sinopharm (Vero Cell)": ("sinopharm", "VC"),
    "Sputnik V": ("sputnik_v", "SV"),
    "Abdala": ("abdala", "AB"),
    "Sputnik Light": ("sputnik_light", "SL"),
}


#: 2021 contracts and pledges (vn_campaign_facts_2021.yaml) by product, in doses. COVAX's
#: commitment names no product mix: it is split evenly between AstraZeneca and Pfizer, the two
#: products COVAX delivered to Viet Nam in 2021. US donations: 5 M Moderna, the rest Pfizer.
def pledges_by_product(facts: dict) -> dict[str, float]:
    pledges = facts["contracts_and_pledges"]
    covax = pledges["covax_commitment_2021"]["doses"]
    us_total = pledges["us_donations_total_2021_11"]["doses"]
    return {
        "astrazeneca": pledges["astrazeneca_vnvc"]["doses"] + covax / 2,
        "pfizer": pledges["pfizer_contract_1"]["doses"]
        + pledges["pfizer_contract_2_children"]["doses"]
        + covax / 2
        + (us_total - 5_000_000),
        "moderna": 5_000_000,
        "sinopharm": pledges["sinopharm_sapharco"]["doses"],
        "sputnik_v": pledges["sputnik_v"]["doses"],
        "abdala": pledges["abdala"]["doses"],
    }


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def province_bands(row: dict[str, str]) -> dict[str, int]:
    """Census counts of one province regrouped into the scenario's age bands, exactly."""
    shares = np.zeros((len(CENSUS_BANDS), len(AGE_BANDS)))
    for i, (lo, hi) in enumerate(CENSUS_BANDS):
        years = range(lo, (hi if hi is not None else 130) + 1)
        for j, (band_lo, band_hi) in enumerate(AGE_BANDS.values()):
            inside = [y for y in years if y >= band_lo and (band_hi is None or y <= band_hi)]
            shares[i, j] = len(inside) / len(years) if hi is not None else float(bool(inside))
    columns = [name for name in row if name.startswith("age_")]  # 0-04, 05-09, ..., 85plus
    assert len(columns) == len(CENSUS_BANDS)
    counts = np.zeros(len(AGE_BANDS), dtype=np.int64)
    for i, column in enumerate(columns):
        counts += largest_remainder(int(row[column]), shares[i])
    assert counts.sum() == int(row["total"])
    return dict(zip(AGE_BANDS, (int(c) for c in counts), strict=True))


def deliveries(facts: dict, products: dict) -> tuple[list[dict], list[str]]:
    """Known arrivals, then weekly lots filling the gap to the cumulative supply checkpoints."""
    known: list[dict] = []
    skipped: list[str] = []
    per_day: dict[tuple[str, dt.date], int] = defaultdict(int)
    for row in read_csv("vn_vaccine_deliveries_2021.csv"):
        if not row["doses"]:
            skipped.append(f"{row['date']} {row['product']} ({row['origin_or_donor']}): quantity unknown")
            continue
        product, prefix = PRODUCTS[row["product"]]
        date = dt.date.fromisoformat(row["date"])
        per_day[(product, date)] += 1
        known.append(
            {
                "date": date,
                "product": product,
                "lot": f"{prefix}-{date:%Y%m%d}-{per_day[(product, date)]}",
                "doses": int(row["doses"]),
                "note": f"{row['channel']}; {row['origin_or_donor']}",
            }
        )
    checkpoints = [
        (dt.date.fromisoformat(r["as_of_date"]), int(r["cumulative_doses_received"]))
        for r in read_csv("vn_vaccine_supply_checkpoints_2021.csv")
    ]
    # The last checkpoint (2022-01-02) lies after the horizon: interpolate it linearly to 31 Dec.
    (d0, c0), (d1, c1) = checkpoints[-2], checkpoints[-1]
    at_end = c0 + (c1 - c0) * (END - d0).days / (d1 - d0).days
    checkpoints = [*checkpoints[:-1], (END, round(at_end))]
    pledges = pledges_by_product(facts)
    weights = np.array(list(pledges.values()))
    filled: list[dict] = []
    previous = START
    for date, cumulative in checkpoints:
        received = sum(d["doses"] for d in known + filled if d["date"] <= date)
        gap = cumulative - received
        mondays = [
            previous + dt.timedelta(days=k)
            for k in range(1, (date - previous).days + 1)
            if (previous + dt.timedelta(days=k)).weekday() == 0
        ]
        if gap > 0 and mondays:
            for monday, week_doses in zip(
                mondays, largest_remainder(gap, np.ones(len(mondays))), strict=True
            ):
                split = largest_remainder(int(week_doses), weights)
                for product, doses in zip(pledges, split, strict=True):
                    if doses > 0:
                        prefix = next(p for name, p in PRODUCTS.values() if name == product)
                        filled.append(
                            {
                                "date": monday,
                                "product": product,
                                "lot": f"{prefix}-FILL-{monday:%Y%m%d}",
                                "doses": int(doses),
                                "note": f"gap fill to the {date} supply checkpoint",
                            }
                        )
        previous = date
    lots = sorted(known + filled, key=lambda d: (d["date"], d["product"], d["lot"]))
    for lot in lots:
        lot["expiry"] = lot["date"] + dt.timedelta(days=products[lot["product"]]["shelf_life_days"])
    return lots, skipped


def product_section(source: dict) -> dict:
    """Scenario products from vaccine_products.yaml; assumptions where the source has null."""
    p = source["products"]
    products = {
        "astrazeneca": {
            "name": p["astrazeneca"]["display_name"],
            "doses_per_vial": p["astrazeneca"]["doses_per_vial"],
            "series": {"doses": 2, "intervals": [{"min_days": 56, "max_days": 84}]},
            "storage_class": "cold_2_8",
            "storage_temperature_c": [2, 8],
            "shelf_life_days": p["astrazeneca"]["shelf_life_days_at_storage"],
            "in_use_hours": p["astrazeneca"]["opened_vial_max_hours"],
            "packed_volume_cm3_per_dose": p["astrazeneca"]["cold_chain_volume_cm3_per_dose"],
            "min_age": 18,
        },
        "pfizer": {
            "name": p["pfizer"]["display_name"],
            "doses_per_vial": p["pfizer"]["doses_per_vial"],
            "series": {"doses": 2, "intervals": [{"min_days": 21, "max_days": 28}]},
            "storage_class": "ultra_cold",
            "storage_temperature_c": [-90, -60],
            "shelf_life_days": p["pfizer"]["shelf_life_days_at_storage"],
            "days_at_2_8c": p["pfizer"]["thawed_or_removed_2_8c_days"],
            "in_use_hours": p["pfizer"]["opened_vial_max_hours"],
            "packed_volume_cm3_per_dose": p["pfizer"]["cold_chain_volume_cm3_per_dose"],
            "min_age": p["pfizer"]["vn_age_min"],
        },
        "moderna": {
            "name": p["moderna"]["display_name"],
            "doses_per_vial": p["moderna"]["doses_per_vial"],
            "series": {"doses": 2, "intervals": [{"min_days": 28, "max_days": 42}]},
            "storage_class": "frozen",
            "storage_temperature_c": [-25, -15],
            "shelf_life_days": p["moderna"]["shelf_life_days_at_storage"],
            "days_at_2_8c": p["moderna"]["thawed_or_removed_2_8c_days"],
            "in_use_hours": p["moderna"]["opened_vial_max_hours"],
            "packed_volume_cm3_per_dose": p["moderna"]["cold_chain_volume_cm3_per_dose"],
            "min_age": 18,
        },
        "sinopharm": {
            "name": p["sinopharm"]["display_name"],
            "doses_per_vial": p["sinopharm"]["doses_per_vial"],
            "series": {"doses": 2, "intervals": [{"min_days": 21, "max_days": 28}]},
            "storage_class": "cold_2_8",
            "storage_temperature_c": [2, 8],
            "shelf_life_days": p["sinopharm"]["shelf_life_days_at_storage"],
            "in_use_hours": 1,
            "packed_volume_cm3_per_dose": 10.0,
            "min_age": 18,
        },
        "sputnik_v": {
            "name": p["sputnik_v"]["display_name"],
            "doses_per_vial": 5,
            "series": {"doses": 2, "intervals": [{"min_days": 21, "max_days": 35}]},
            "storage_class": "frozen",
            "storage_temperature_c": [-25, -18],
            "shelf_life_days": p["sputnik_v"]["shelf_life_days_at_storage"],
            "days_at_2_8c": p["sputnik_v"]["thawed_or_removed_2_8c_days"],
            "in_use_hours": 2,
            "packed_volume_cm3_per_dose": 5.0,
            "min_age": 18,
        },
        "abdala": {
            "name": p["abdala"]["display_name"],
            "doses_per_vial": 10,
            "series": {"doses": 3, "intervals": [{"min_days": 14, "max_days": 21}] * 2},
            "storage_class": "cold_2_8",
            "storage_temperature_c": [2, 8],
            "shelf_life_days": p["abdala"]["shelf_life_days_at_storage"],
            "in_use_hours": 6,
            "packed_volume_cm3_per_dose": 5.0,
            "min_age": p["abdala"]["vn_age_range"][0],
            "max_age": p["abdala"]["vn_age_range"][1],
        },
        "sputnik_light": {
            "name": p["sputnik_light"]["display_name"],
            "doses_per_vial": 5,
            "series": {"doses": 1},
            "storage_class": "frozen",
            "storage_temperature_c": [-25, -18],
            "shelf_life_days": p["sputnik_light"]["shelf_life_days_at_storage"],
            "days_at_2_8c": 30,
            "in_use_hours": 2,
            "packed_volume_cm3_per_dose": 5.0,
            "min_age": 18,
        },
    }
    for key, product in products.items():  # standard codes where the source has them (SOURCES.md, 9)
        for code in ("cvx", "gtin"):
            if p[key].get(code) is not None:
                product[code] = str(p[key][code])
    return products


HEADER = """\
# yaml-language-server: $schema=../vaxsim/scenario/scenario.schema.json
#
# Viet Nam's 2021 COVID-19 vaccination campaign: 63 provinces, 705 districts, census 2019
# population (96,208,984), the 2021 vaccine deliveries. GENERATED by tools/build_vietnam_2021.py
# from vaxsim/data/ (sources and licences: vaxsim/data/SOURCES.md); edit the tool, not this file,
# then run `make vietnam`. For a what-if, write a small file with `extends: vietnam-2021.yaml`.
#
# Rules applied where the data has gaps (assumptions, not data):
# - District population: the 2021 district list has no census counts, so each province's
#   population is split among its districts in proportion to their commune-level units
#   (largest-remainder rounding, exact totals). Districts without communes get no one.
# - Age bands: census five-year bands regrouped; 10-14 and 15-19 are split by whole years,
#   assuming ages uniform within the band (as SOURCES.md does for its 18+ estimate).
# - Priority groups are a four-group simplification of the 16 groups of Decision 3355/QD-BYT:
#   frontline workers (3 % of adults, assumed), people 65+, other adults, adolescents 12-17;
#   their opening dates are assumptions (first dose 2021-03-08 from OWID; platform launch
#   2021-07-21; adolescents from late 2021). Children under 12 are not eligible in 2021.
# - Approval capacity per province: 1.5 % of its population per day (assumed; national peak
#   doses in 2021 exceeded 1 million a day, about 1 % of the population).
# - Sites: one commune health station per commune-level unit plus one mass site per district
#   (about 11,300 sites; 2021 reports say about 10,000 commune stations and 15,000 stations).
# - Products: values from vaccine_products.yaml. Where it has null: Sinopharm packed volume
#   10 cm3/dose and in-use 1 h (single-dose vial); Sputnik V / Sputnik Light 5 doses per vial,
#   5 cm3/dose, in-use 2 h; Abdala 10 doses per vial, 5 cm3/dose. Interval upper bounds where
#   only one value is prescribed: Moderna 28-42 d, Sputnik V 21-35 d, Abdala 14-21 d.
#   Sputnik V's two different components are modelled as one product.
# - Supply: the 32 known arrival rows (the row without a quantity is skipped), each a lot
#   arriving at the national store with a full shelf life (real lots often had less).
#   Known rows cover about 27.5 M doses; the gap to each cumulative supply checkpoint is filled
#   with weekly lots on Mondays, split across products in proportion to the 2021 contracts and
#   pledges (COVAX split evenly between AstraZeneca and Pfizer); the 2022-01-02 checkpoint is
#   interpolated linearly to 2021-12-31.
# - Cold chain: the national store (NIHE Ha Noi) supplies the 8 GSP storage depots of 2021
#   (1 at the Ha Noi Capital High Command, 7 at the military regions); each province is
#   supplied by the depot of its military region (vaxsim/data/vn_storage_depots_2021.csv, an
#   assignment rule, see SOURCES.md), each district by its provincial store. Capacities are
#   assumptions (no inventory data was found), not data: national 20,000 L
#   ultra-cold, 20,000 L frozen, 200,000 L at 2-8 C; each depot 3,000 / 5,000 / 60,000 L;
#   each provincial store 200 / 1,000 / 10,000 L; each district store no ultra-cold room
#   (ultra-cold products travel and stay thawed at 2-8 C, their thaw clock running), 100 L
#   frozen, 1,000 L at 2-8 C. Every link takes 1 day, with one trip a day and no vehicle limit.
"""


def build() -> str:
    facts = yaml.safe_load((DATA / "vn_campaign_facts_2021.yaml").read_text(encoding="utf-8"))
    source_products = yaml.safe_load((DATA / "vaccine_products.yaml").read_text(encoding="utf-8"))
    products = product_section(source_products)
    lots, skipped = deliveries(facts, products)
    provinces = read_csv("vn_provinces.csv")
    ages = {row["code"]: row for row in read_csv("vn_province_age_2019.csv")}
    districts_by_province: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_csv("vn_districts_2021.csv"):
        districts_by_province[row["province_code"]].append(row)
    depot_of = {row["province_code"]: row for row in read_csv("vn_storage_depots_2021.csv")}
    depots = {row["depot"]: row["depot_name"] for row in depot_of.values()}

    out: list[str] = [HEADER]
    if skipped:
        out.append("# Skipped delivery rows: " + "; ".join(skipped) + "\n")
    out.append(
        """
campaign:
  name: vietnam-2021
  description: Viet Nam national COVID-19 vaccination campaign, 2021
  start_date: 2021-02-22
  horizon_days: HORIZON_DAYS
  timezone: Asia/Ho_Chi_Minh
  seed: 2021

people:
  age_bands:
"""
        .replace("HORIZON_DAYS", str((END - START).days + 1))
    )
    for band, (lo, hi) in AGE_BANDS.items():
        out.append(f"    - {{id: {band!r}, min_age: {lo}, max_age: {'null' if hi is None else hi}}}\n")
    out.append(
        """  priority_groups:
    - {id: frontline, name: Health and frontline workers, opens: 2021-03-08, share_of_age_band: {'18-49': 0.03, '50-64': 0.03}}
    - {id: elderly, name: People aged 65 and over, opens: 2021-07-21, share_of_age_band: {'65plus': 1.0}}
    - {id: adults, name: Other adults, opens: 2021-07-21, share_of_age_band: {'18-49': 0.97, '50-64': 0.97}}
    - {id: adolescents, name: Adolescents 12-17, opens: 2021-10-27, share_of_age_band: {'12-17': 1.0}}
    - {id: children, name: Children under 12 (not in 2021), opens: 2022-04-01, remainder: true}
  eligibility:
    age_bands: ['12-17', '18-49', '50-64', '65plus']
  registration:
    uptake: 0.93
    curve: {kind: logistic, midpoint_days: 21, scale_days: 7}
    channels: {app: 0.45, portal: 0.15, commune_list: 0.40}
  approval:
    capacity_per_day: 20000
    processing_days: 1
  notification:
    sms_delivery: 0.95
    lead_time_hours: 24
    show_up_if_delivered: 0.92
    show_up_if_not_delivered: 0.35
  walk_ins:
    share_of_booked: 0.05

products:
"""
    )
    out.append(_indent(yaml.safe_dump(products, sort_keys=False, allow_unicode=True, width=100), 2))
    out.append(
        """
site_types:
  commune_station:
    kind: fixed
    sessions: [{start: '07:30', end: '11:30'}, {start: '13:30', end: '17:00'}]
    stations:
      - {name: check_in, role: check_in, servers: 1, service_minutes: {kind: exponential, mean: 0.5}}
      - {name: screening, role: screening, servers: 2, service_minutes: {kind: lognormal, mean: 2.0, sd: 1.0}}
      - {name: injection, role: injection, servers: 2, service_minutes: {kind: shifted_exponential, shift: 0.5, scale: 1.0}}
    walking_minutes: 1.0
    observation: {minutes: 30, adverse_reaction_share: 0.01, adverse_reaction_extra_minutes: 30}
    preparation: {preparers: 1, minutes_per_vial: {kind: fixed, value: 2.0}}
    crowding_limit: 100
    cold_chain_litres: {cold_2_8: 20}
  mass_site:
    kind: mass
    sessions: [{start: '07:00', end: '11:30'}, {start: '13:00', end: '18:00'}]
    stations:
      - {name: check_in, role: check_in, servers: 4, service_minutes: {kind: exponential, mean: 0.5}}
      - {name: screening, role: screening, servers: 6, service_minutes: {kind: lognormal, mean: 2.0, sd: 1.0}}
      - {name: injection, role: injection, servers: 6, service_minutes: {kind: shifted_exponential, shift: 0.5, scale: 1.0}}
    walking_minutes: 2.0
    observation: {minutes: 30, adverse_reaction_share: 0.01, adverse_reaction_extra_minutes: 30}
    preparation: {preparers: 3, minutes_per_vial: {kind: fixed, value: 2.0}}
    crowding_limit: 300
    cold_chain_litres: {cold_2_8: 100}

cold_chain:
  stores:
    - {id: national, name: National store (NIHE Ha Noi), level: national, capacity_litres: {ultra_cold: 20000, frozen: 20000, cold_2_8: 200000}}
"""
    )
    for depot, name in sorted(depots.items()):
        out.append(
            f"    - {{id: depot-{depot}, name: {name!r}, level: regional, parent: national, "
            "capacity_litres: {ultra_cold: 3000, frozen: 5000, cold_2_8: 60000}}\n"
        )
    out.append(
        """  provincial_store: {capacity_litres: {ultra_cold: 200, frozen: 1000, cold_2_8: 10000}}
  district_store: {capacity_litres: {ultra_cold: 0, frozen: 100, cold_2_8: 1000}}
  link_defaults: {lead_time_days: 1, schedule: daily}

policies:
  allocation: priority_first
  second_dose_reserve: {rule: hold_back, share: 0.5}
  appointment_slot_minutes: 30

supply:
  deliveries:
"""
    )
    for lot in lots:
        out.append(
            f"    - {{date: {lot['date']}, product: {lot['product']}, lot: {lot['lot']}, "
            f"doses: {lot['doses']}, expiry: {lot['expiry']}, store: national, note: {lot['note']!r}}}\n"
        )
    out.append("\ngeography:\n  country: VN\n  provinces:\n")
    for row in provinces:
        code = row["code"]
        bands = province_bands(ages[code])
        districts = districts_by_province[code]
        communes = np.array([int(d["communes_2021"]) for d in districts])
        split = {band: largest_remainder(total, communes) for band, total in bands.items()}
        out.append(
            f"    - id: {code!r}\n      name: {row['name']}\n      region: {row['region']}\n"
            f"      lat: {row['lat']}\n      lon: {row['lon']}\n"
            f"      parent_store: depot-{depot_of[code]['depot']}\n"
            f"      approval_capacity_per_day: {round(int(row['population_2019']) * 0.015)}\n"
            "      districts:\n"
        )
        for k, district in enumerate(districts):
            population = ", ".join(f"{band!r}: {int(split[band][k])}" for band in AGE_BANDS)
            stations = int(district["communes_2021"])
            sites = f"commune_station: {stations}, mass_site: 1" if stations else ""
            out.append(
                f"        - {{id: {district['code']!r}, name: {district['name_with_type']}, "
                f"population: {{{population}}}, generated_sites: {{{sites}}}}}\n"
            )
    return "".join(out)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    target.write_text(build(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
