"""Exports: SMART Scheduling Links, FHIR R4 NDJSON and DHIS2 data value sets.

For each export: the upstream example passes the validator (SSL), the fixture plan's export
passes, and a corrupted plan or a corrupted export fails with the expected message. Validation
is offline, against the shared reference material (skipped when it is absent).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

import vaxsim
from tests.conftest import ROOT
from tests.plan.conftest import reference
from tests.plan.corrupt import line_of, set_cell
from tests.plan.fixture import fixture_plan
from tests.plan.validators import FhirSchema, SslProfiles, validate_ndjson, validate_ssl_folder
from vaxsim.io.atomic import OutputExistsError
from vaxsim.model import compile_model
from vaxsim.plan.checker import check
from vaxsim.plan.exports import ExportError, dhis2, export
from vaxsim.plan.exports.dhis2 import load_org_units
from vaxsim.plan.ids import place_ids

#: Known deviations of a publisher outside the US, allowed in vaxsim's output only (see
#: vaxsim/plan/exports/ssl.py): no CDC VTrckS identifier, no street address line or postal
#: code in a plan.
SSL_DEVIATIONS = {
    "Location.identifier:vTrckS": "US CDC VTrckS provider id; not applicable in Viet Nam",
    "Address.line": "a plan holds no street addresses",
    "Address.postalCode": "a plan holds no postal codes",
}


@pytest.fixture(scope="module")
def fhir_schema() -> FhirSchema:
    return FhirSchema(reference("fhir-r4", "fhir.schema.json"))


@pytest.fixture(scope="module")
def ssl_profiles() -> SslProfiles:
    return SslProfiles(reference("inferno-ssl-profiles"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The fixture bundle and its three exports (written once)."""
    bundle = fixture_plan().write(tmp_path_factory.mktemp("exports"))
    return bundle, {kind: export(bundle, kind) for kind in ("ssl", "fhir", "dhis2")}


def _not_allowed(messages: list[str]) -> list[str]:
    return [m for m in messages if not any(rule in m for rule in SSL_DEVIATIONS)]


def _ndjson(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- SMART Scheduling Links -------------------------------------------------------------------


def test_upstream_ssl_examples_pass(fhir_schema, ssl_profiles):
    examples = reference("smart-scheduling-links", "examples")
    assert validate_ssl_folder(examples, fhir_schema, ssl_profiles) == []


def test_validator_rejects_a_corrupted_upstream_example(fhir_schema, ssl_profiles, tmp_path):
    examples = shutil.copytree(reference("smart-scheduling-links", "examples"), tmp_path / "examples")
    slots = examples / "slots-2021-W09.ndjson"
    lines = slots.read_text().splitlines()
    first = json.loads(lines[0])
    first["status"] = "busy-tentative"
    lines[0] = json.dumps(first)
    slots.write_text("\n".join(lines) + "\n")
    messages = validate_ssl_folder(examples, fhir_schema, ssl_profiles)
    assert "slots-2021-W09.ndjson:1: Slot/20: slot-status: 'busy-tentative' is not free or busy" in messages
    assert any(
        m.startswith("slots-2021-W09.ndjson:1: Slot/20: Slot.status: 'busy-tentative' is not in")
        for m in messages
    )


def test_ssl_export_passes_with_only_the_documented_deviations(exported, fhir_schema, ssl_profiles):
    _, folders = exported
    messages = validate_ssl_folder(folders["ssl"], fhir_schema, ssl_profiles)
    assert _not_allowed(messages) == []
    # The allow-list is not hiding anything else: each Location deviates in exactly these three ways.
    assert len(messages) == 3 * 4


def test_ssl_publication_content(exported):
    _, folders = exported
    folder = folders["ssl"]
    manifest = json.loads((folder / "$bulk-publish").read_text())
    assert manifest["transactionTime"].endswith("+07:00")
    assert manifest["request"].endswith("/$bulk-publish")
    slot_files = sorted(p.name for p in folder.glob("slots-*.ndjson"))
    assert slot_files == [
        f"slots-{d}.ndjson"
        for d in (
            "2021-08-05",
            "2021-08-06",
            "2021-08-09",
            "2021-08-26",
            "2021-08-27",
            "2021-09-03",
            "2021-09-06",
        )
    ]
    states = {
        entry["url"].rsplit("/", 1)[1]: entry.get("extension", {}).get("state")
        for entry in manifest["output"]
    }
    assert states["slots-2021-08-06.ndjson"] == ["VN-SG"]
    assert states["slots-2021-08-05.ndjson"] == ["VN-53"]
    locations = _ndjson(folder / "locations.ndjson")
    assert [loc["id"] for loc in locations] == [
        "bk-city-hospital",
        "bk-duc-xuan",
        "q1-ben-nghe",
        "q1-stadium",
    ]
    assert {loc["address"]["state"] for loc in locations} == {"VN-53", "VN-SG"}
    schedules = _ndjson(folder / "schedules.ndjson")
    assert len(schedules) == 8  # (site, product, dose): 4 sites × 1 product × 2 doses
    dose = {
        s["id"]: [e["valueInteger"] for e in s["extension"] if e["url"].endswith("vaccine-dose")]
        for s in schedules
    }
    assert dose["q1-stadium-pfizer-d2"] == [2]
    product = [e["valueCoding"] for e in schedules[0]["extension"] if e["url"].endswith("vaccine-product")]
    assert product == [
        {
            "system": "http://hl7.org/fhir/sid/cvx",
            "code": "208",
            "display": "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose",
        }
    ]
    slots = [slot for path in folder.glob("slots-*.ndjson") for slot in _ndjson(path)]
    capacity = {(s["id"], s["status"]): s["extension"][-1]["valueInteger"] for s in slots}
    row = "cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults"
    assert capacity[(f"{row}-free", "free")] == 6 and capacity[(f"{row}-busy", "busy")] == 18
    # A full row publishes no free slot, an empty one no busy slot.
    assert ("cap-q1-ben-nghe-2021-08-06-0730-astrazeneca-d1-frontline-free", "free") not in capacity
    assert ("cap-bk-duc-xuan-2021-09-06-0730-astrazeneca-d2-elderly-busy", "busy") not in capacity
    assert sum(v for (_, status), v in capacity.items() if status == "free") == sum(
        fixture_plan().capacity.eval("capacity - booked")
    )


def test_corrupted_ssl_export_fails(exported, fhir_schema, ssl_profiles, tmp_path):
    _, folders = exported
    folder = shutil.copytree(folders["ssl"], tmp_path / "ssl")
    schedules = _ndjson(folder / "schedules.ndjson")
    del schedules[0]["serviceType"]
    schedules[1]["extension"][0]["valueCoding"] = {"system": "https://vaxsim.org/products", "code": "pfizer"}
    (folder / "schedules.ndjson").write_text("".join(json.dumps(s) + "\n" for s in schedules))
    slots = _ndjson(folder / "slots-2021-08-05.ndjson")
    slots[0]["start"] = "2021-08-05T07:00:00"  # no offset
    slots[0]["extension"][-1]["valueInteger"] = 0
    (folder / "slots-2021-08-05.ndjson").write_text("".join(json.dumps(s) + "\n" for s in slots))
    messages = _not_allowed(validate_ssl_folder(folder, fhir_schema, ssl_profiles))
    schedule = f"schedules.ndjson:1: Schedule/{schedules[0]['id']}"
    assert f"{schedule}: Schedule.serviceType:c19Service: 0 found, at least 1 required" in messages
    assert any(
        m.startswith(f"schedules.ndjson:2: Schedule/{schedules[1]['id']}: vaccine-product:") for m in messages
    )
    slot = f"slots-2021-08-05.ndjson:1: Slot/{slots[0]['id']}"
    assert f"{slot}: slot-capacity: 0 is not a whole number of at least 1" in messages
    assert f"{slot}: slot-start: '2021-08-05T07:00:00' is not an instant with an offset" in messages
    assert any(
        m.startswith(f"{slot}: schema: Slot.start: '2021-08-05T07:00:00' does not match") for m in messages
    )


def test_corrupted_plan_is_not_exported(tmp_path):
    bundle = fixture_plan().write(tmp_path)
    line = line_of(fixture_plan().capacity, "capacity_id", "cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults")
    set_cell(bundle, "capacity", line, "booked", "30")
    for kind in ("ssl", "fhir", "dhis2"):
        with pytest.raises(ExportError) as error:
            export(bundle, kind)
        assert "fails `vaxsim plan check`" in str(error.value) and "not exported" in str(error.value)
        assert (
            f"tables/capacity.csv:{line}: capacity_id=cap-q1-stadium-2021-08-06-0700-pfizer-d1-adults: "
            "booked 30 > capacity 24"
        ) in str(error.value)
    assert not (tmp_path / f"{bundle.name}-exports").exists()


def test_exports_are_deterministic_and_leave_the_bundle_sound(exported, tmp_path):
    bundle, folders = exported
    assert check(bundle) == []
    assert folders["ssl"] == bundle.parent / f"{bundle.name}-exports" / "ssl"
    again = export(bundle, "ssl", tmp_path / "ssl")
    for path in folders["ssl"].iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    with pytest.raises(OutputExistsError, match="already exists"):
        export(bundle, "ssl", tmp_path / "ssl")
    assert export(bundle, "ssl", tmp_path / "ssl", replace=True) == tmp_path / "ssl"


# --- FHIR R4 ----------------------------------------------------------------------------------


def test_fhir_export_validates_against_the_r4_schema(exported, fhir_schema):
    _, folders = exported
    files = sorted(p.name for p in folders["fhir"].glob("*.ndjson"))
    assert files == [
        f"{kind}.ndjson"
        for kind in sorted(("Location", "Medication", "SupplyDelivery", "Schedule", "Slot", "Appointment"))
    ]
    for path in folders["fhir"].glob("*.ndjson"):
        messages, resources = validate_ndjson(path, fhir_schema, None, path.stem)
        assert messages == [], messages[:5]
        assert resources, path.name


def test_fhir_export_content(exported):
    _, folders = exported
    plan = fixture_plan()
    folder = folders["fhir"]
    assert len(_ndjson(folder / "Location.ndjson")) == len(plan.sites)
    medications = _ndjson(folder / "Medication.ndjson")
    assert [m["batch"] for m in medications] == [
        {"lotNumber": "FA4598", "expirationDate": "2021-11-30"},
        {"lotNumber": "ABV5300", "expirationDate": "2021-12-31"},
    ]
    deliveries = _ndjson(folder / "SupplyDelivery.ndjson")
    assert len(deliveries) == len(plan.shipment_lines)
    assert sum(d["suppliedItem"]["quantity"]["value"] for d in deliveries) == plan.shipment_lines.doses.sum()
    appointments = _ndjson(folder / "Appointment.ndjson")
    assert len(appointments) == len(plan.appointments)
    assert {a["status"] for a in appointments} == {"booked"}
    text = (folder / "Appointment.ndjson").read_text()
    assert all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", a["id"]) for a in appointments)
    assert "name" not in text and "telecom" not in text  # no personal data, only the keyed hash
    slots = {s["id"] for s in _ndjson(folder / "Slot.ndjson")}
    assert all(a["slot"][0]["reference"].split("/")[1] in slots for a in appointments)


def test_corrupted_fhir_resource_fails_the_schema(exported, fhir_schema, tmp_path):
    _, folders = exported
    appointments = _ndjson(folders["fhir"] / "Appointment.ndjson")
    appointments[0]["status"] = "confirmed"
    appointments[1]["start"] = "2021-08-05 07:00"
    appointments[2]["patientName"] = "Nguyễn Văn A"
    path = tmp_path / "Appointment.ndjson"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in appointments))
    messages, _ = validate_ndjson(path, fhir_schema, None, "Appointment")
    ids = [a["id"] for a in appointments[:3]]
    assert (
        f"Appointment.ndjson:1: Appointment/{ids[0]}: schema: Appointment.status: 'confirmed' is not one of "
        "['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', "
        "'entered-in-error', 'checked-in', 'waitlist']" in messages
    )
    assert any(
        m.startswith(f"Appointment.ndjson:2: Appointment/{ids[1]}: schema: Appointment.start:")
        for m in messages
    )
    assert any(
        m.startswith(
            f"Appointment.ndjson:3: Appointment/{ids[2]}: schema: Appointment: Additional properties"
        )
        for m in messages
    )


# --- DHIS2 ------------------------------------------------------------------------------------

DATA_VALUE_KEYS = {"dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value"}


def dhis2_problems(document) -> list[str]:
    """The dataValueSets JSON shape DHIS2 imports (dataValues with element, period, org unit, value)."""
    found = []
    for index, value in enumerate(document.get("dataValues", [])):
        where = f"dataValues[{index}]"
        if set(value) - DATA_VALUE_KEYS:
            found.append(f"{where}: unknown keys {sorted(set(value) - DATA_VALUE_KEYS)}")
        for key in ("dataElement", "period", "orgUnit", "value"):
            if not isinstance(value.get(key), str) or not value.get(key):
                found.append(f"{where}: {key} is required text")
        if not re.fullmatch(r"[0-9]{8}", str(value.get("period"))):
            found.append(f"{where}: period {value.get('period')!r} is not a day yyyyMMdd")
        if not re.fullmatch(r"-?[0-9]+", str(value.get("value"))):
            found.append(f"{where}: value {value.get('value')!r} is not a whole number")
    return found


def test_dhis2_export(exported):
    _, folders = exported
    document = json.loads((folders["dhis2"] / "dataValueSets.json").read_text())
    assert dhis2_problems(document) == []
    assert document["dataElementIdScheme"] == "CODE"
    values = {
        (v["dataElement"], v["orgUnit"], v["period"], v.get("categoryOptionCombo")): v["value"]
        for v in document["dataValues"]
    }
    assert values[("VAXSIM_DOSES_PLANNED", "bk-city-hospital", "20210805", "pfizer_D1")] == "30"
    assert values[("VAXSIM_APPOINTMENTS_BOOKED", "q1-stadium", "20210827", "pfizer_D2")] == "18"
    assert values[("VAXSIM_DOSES_WASTED", "bk-duc-xuan", "20210809", "astrazeneca")] == "5"
    rows = list(csv.reader(io.StringIO((folders["dhis2"] / "dataValueSets.csv").read_text())))
    assert rows[0][:6] == [
        "dataelement",
        "period",
        "orgunit",
        "categoryoptioncombo",
        "attributeoptioncombo",
        "value",
    ]
    assert len(rows) - 1 == len(document["dataValues"])
    assert rows[1][0] == document["dataValues"][0]["dataElement"]


def test_dhis2_custom_mapping_by_province(exported, tmp_path):
    bundle, _ = exported
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "org_unit: province_code\n"
        "org_units: {'06': BK0001, '79': HCM0001}\n"
        "metrics:\n"
        "  doses_planned: {data_element: DE_PLANNED, category_option_combos: {pfizer/1: PF1, pfizer/2: PF2,"
        " astrazeneca/1: AZ1, astrazeneca/2: AZ2}}\n"
    )
    folder = export(bundle, "dhis2", tmp_path / "out", mapping=mapping)
    document = json.loads((folder / "dataValueSets.json").read_text())
    assert dhis2_problems(document) == []
    units = {v["orgUnit"] for v in document["dataValues"]}
    assert units == {"BK0001", "HCM0001"}
    total = sum(int(v["value"]) for v in document["dataValues"])
    assert total == fixture_plan().capacity.capacity.sum()


def test_dhis2_org_units_by_uid_file(exported, tmp_path):
    bundle, _ = exported
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("org_unit: province_code\nmetrics:\n  doses_planned: {data_element: DE_PLANNED}\n")
    uids = tmp_path / "org_units.csv"
    uids.write_text("org_unit,uid,name\n06,qhqAxPSTUXp,Bac Kan\n79,Rp268JB6Ne4,Ho Chi Minh City\n")
    folder = export(bundle, "dhis2", tmp_path / "out", mapping=mapping, org_units=uids)
    document = json.loads((folder / "dataValueSets.json").read_text())
    assert document["orgUnitIdScheme"] == "UID" and document["dataElementIdScheme"] == "CODE"
    assert {v["orgUnit"] for v in document["dataValues"]} == {"qhqAxPSTUXp", "Rp268JB6Ne4"}
    uids.write_text("org_unit,uid\n06,qhqAxPSTUXp\n")  # 79 has no UID: DHIS2 would refuse its values
    with pytest.raises(ExportError, match=r"no UID for 1 province_code value\(s\): 79"):
        export(bundle, "dhis2", tmp_path / "out2", mapping=mapping, org_units=uids)
    uids.write_text("org_unit,uid\n06,qhqAxPSTUXp\n79,HCM-0001\n")
    with pytest.raises(ExportError, match=r"org_units.csv:3: uid: 'HCM-0001' is not a DHIS2 UID"):
        export(bundle, "dhis2", tmp_path / "out3", mapping=mapping, org_units=uids)


def test_the_example_org_unit_file_maps_every_demo_place():
    scenario = vaxsim.load(ROOT / "scenarios" / "demo-district.yaml")
    model = compile_model(scenario)
    stores, sites = place_ids(list(model.stores.id), list(model.sites.id))
    example = load_org_units(Path(dhis2.__file__).parent / "data" / "dhis2_org_units.example.csv")
    assert set(example) == set(stores) | set(sites)


def test_dhis2_bad_mapping_is_named(exported, tmp_path):
    bundle, _ = exported
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("metrics:\n  doses_given: {data_element: X}\n")
    with pytest.raises(ExportError, match=r"mapping.yaml: metrics.doses_given: unknown metric"):
        export(bundle, "dhis2", tmp_path / "out", mapping=mapping)
    mapping.write_text(
        "metrics:\n  closing_stock: {data_element: X, category_option_combo: '{product}_{dose}'}\n"
    )
    with pytest.raises(ExportError, match=r"metrics.closing_stock: has no dose number"):
        export(bundle, "dhis2", tmp_path / "out", mapping=mapping)


def test_corrupted_dhis2_document_fails(exported):
    _, folders = exported
    document = json.loads((folders["dhis2"] / "dataValueSets.json").read_text())
    document["dataValues"][0]["period"] = "2021-08-05"
    document["dataValues"][1]["value"] = "12.5"
    assert dhis2_problems(document) == [
        "dataValues[0]: period '2021-08-05' is not a day yyyyMMdd",
        "dataValues[1]: value '12.5' is not a whole number",
    ]
