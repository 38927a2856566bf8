"""Names and codes of places for the exports: ISO 3166-2 codes and district / province names.

``data/vn_iso3166_2.csv`` maps the General Statistics Office province codes used by the
scenarios (``vaxsim/data/vn_provinces.csv``) to ISO 3166-2:VN codes (source in
``data/SOURCES.md``).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
VAXSIM_DATA = Path(__file__).resolve().parents[2] / "data"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@cache
def iso_codes() -> dict[str, str]:
    """GSO province code (``"79"``) → ISO 3166-2 code (``"VN-SG"``), for Viet Nam's 63 provinces."""
    return {row["province_code"]: row["iso_3166_2"] for row in _rows(DATA / "vn_iso3166_2.csv")}


@cache
def province_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _rows(VAXSIM_DATA / "vn_provinces.csv")}


@cache
def district_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _rows(VAXSIM_DATA / "vn_districts_2021.csv")}


def iso_subdivision(province_code: str | None) -> str | None:
    """ISO 3166-2 code of a plan's ``province_code`` (a GSO code, or already ``VN-..``)."""
    if not province_code:
        return None
    if province_code.startswith("VN-"):
        return province_code
    return iso_codes().get(province_code)
