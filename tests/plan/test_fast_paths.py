"""The column-at-a-time writer, reader and checker agree with the cell-by-cell rules they replace
(the national bundle is far too big for row-by-row Python; these run on the fixture)."""

from __future__ import annotations

import csv
import dataclasses
import io

import pandas as pd

from tests.plan.fixture import fixture_plan
from vaxsim.plan.check_scenario import _differs
from vaxsim.plan.csv_table import parse_table, table_csv_text
from vaxsim.plan.datapackage import datapackage
from vaxsim.plan.document import json_text, plan_document, plan_json_bytes
from vaxsim.plan.frictionless import _parse_csv_rows, parse_csv
from vaxsim.plan.tables import TABLES
from vaxsim.plan.values import canonical_value, cell_text, normalise_table


def _awkward_plan(carriage_return: bool = True):
    plan = fixture_plan()
    sites = plan.sites.copy()
    sites.loc[0, "name"] = 'Quận "1", Sài Gòn\nnorth'
    if carriage_return:  # written as csv writes it; csv cannot read a bare \r back (nor could before)
        sites.loc[1, "name"] = "a\rb"
    sites.loc[2, "lat"] = 1e-7
    sites.loc[3, "lon"] = -0.0
    sites["max_doses_per_day"] = sites["max_doses_per_day"].astype("float64")
    lots = plan.lots.copy()
    lots["expiry_date"] = pd.to_datetime(lots["expiry_date"])
    return dataclasses.replace(plan, sites=sites, lots=lots)


def test_plan_json_bytes_equal_the_generic_encoder():
    for plan in (fixture_plan(), _awkward_plan()):
        canonical = plan.normalised()
        assert plan_json_bytes(canonical) == json_text(plan_document(canonical)).encode("utf-8")


def test_csv_text_equals_the_csv_writer_cell_by_cell():
    canonical = _awkward_plan().normalised()
    for name, spec in TABLES.items():
        table = getattr(canonical, name)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(spec.column_names)
        for row in zip(*(table[c.name].tolist() for c in spec.columns), strict=True):
            writer.writerow([cell_text(value, c) for value, c in zip(row, spec.columns, strict=True)])
        assert table_csv_text(name, table) == buffer.getvalue(), name


def test_normalise_equals_canonical_value_cell_by_cell():
    plan = _awkward_plan()
    for name, spec in TABLES.items():
        table = getattr(plan, name)
        fast = normalise_table(name, table)
        for column in spec.columns:
            slow = [canonical_value(value, column) for value in table[column.name].tolist()]
            got = fast[column.name].tolist()
            assert [type(v) for v in got if v is not None and not pd.isna(v)] == [
                type(v) for v in slow if v is not None and not pd.isna(v)
            ], (name, column.name)
            assert pd.Series(got, dtype=object).equals(pd.Series(slow, dtype=object)) or all(
                (pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(got, slow, strict=True)
            ), (name, column.name)


def test_reader_and_schema_check_read_columns_as_rows():
    canonical = _awkward_plan(carriage_return=False).normalised()
    package = datapackage(canonical.plan_id, canonical.revision)
    for resource in package["resources"]:
        name = resource["name"]
        text = table_csv_text(name, getattr(canonical, name))
        pd.testing.assert_frame_equal(parse_table(name, text), getattr(canonical, name))
        fast, problems = parse_csv(name, resource["path"], text, resource["schema"])
        slow, slow_problems = _parse_csv_rows(name, resource["path"], text, resource["schema"])
        assert problems == slow_problems == []
        assert fast.rows == slow.rows, name


def test_an_empty_optional_integer_agrees_with_a_scenario_none():
    assert not _differs(pd.NA, None)
    assert _differs(pd.NA, 28)
    assert not _differs(float("nan"), None)
