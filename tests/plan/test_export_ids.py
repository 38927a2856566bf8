"""FHIR ids from plan ids (the plan's one id rule, vaxsim.plan.ids), and the shipped ISO 3166-2:VN
province codes."""

from __future__ import annotations

import re

from vaxsim.plan.exports.places import iso_codes, iso_subdivision, province_names
from vaxsim.plan.ids import key_id as fhir_id

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def test_readable_ids_are_kept():
    assert fhir_id("bk-city-hospital") == "bk-city-hospital"
    assert fhir_id("cap-1", "free") == "cap-1-free"


def test_other_ids_are_made_valid_and_stay_distinct():
    one, two = fhir_id("058-commune_station-1"), fhir_id("058-commune.station-1")
    assert FHIR_ID.match(one) and FHIR_ID.match(two)
    assert one.startswith("058-commune-station-1-") and one != two
    long = fhir_id("x" * 80)
    assert FHIR_ID.match(long) and long != fhir_id("x" * 81)
    assert fhir_id("058-commune_station-1") == one  # deterministic


def test_iso_codes_cover_every_province_once():
    codes = iso_codes()
    assert set(codes) == set(province_names()) and len(codes) == 63
    assert len(set(codes.values())) == 63
    assert all(re.fullmatch(r"VN-([0-9]{2}|[A-Z]{2})", code) for code in codes.values())
    assert iso_subdivision("79") == "VN-SG"  # Hồ Chí Minh City
    assert iso_subdivision("01") == "VN-HN"  # Hà Nội
    assert iso_subdivision("06") == "VN-53"  # Bắc Kạn
    assert iso_subdivision("VN-DN") == "VN-DN"
    assert iso_subdivision("99") is None and iso_subdivision(None) is None
