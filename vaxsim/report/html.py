"""One self-contained HTML page for a run, a sweep or a comparison.

Figures are embedded as base64 PNG and the page loads nothing from the network, so it can be
mailed to a director and opened anywhere. Sections: headline figures with 95 % CIs, coverage
curves with bands, doses against supply, coverage by province and district (ranked), wastage
by cause, cold-chain utilisation, the sites with the worst waits and crowding, what differs
between the scenarios, and run metadata.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

import vaxsim
from vaxsim.io.atomic import atomic_write_text
from vaxsim.report.figures import doses_against_supply, ranked_bars, wastage_bars
from vaxsim.report.tables import all_tables, differences
from vaxsim.run.ensemble import Ensemble

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f3f3f3;cursor:pointer}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#666;font-size:.9em}
"""
# Click a header to sort its table; data-ready proves the script ran without an error.
SCRIPT = """
document.querySelectorAll("table").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var rows = Array.from(table.tBodies[0].rows);
      var key = function (row) { var t = row.cells[column].dataset.value || row.cells[column].textContent;
        var n = parseFloat(t); return isNaN(n) ? t : n; };
      rows.sort(function (a, b) { var x = key(a), y = key(b); return x < y ? -1 : x > y ? 1 : 0; });
      rows.forEach(function (row) { table.tBodies[0].appendChild(row); });
    });
  });
});
document.body.dataset.ready = "yes";
"""


def render(ensemble: Ensemble, title: str | None = None) -> str:
    """The report page of ``ensemble`` as an HTML string."""
    tables = all_tables(ensemble)
    title = title or "vaxsim report: " + ", ".join(ensemble.labels)
    parts = [
        f"<h1>{_text(title)}</h1>",
        _section("Headline figures (mean and 95 % CI over seeds)", _headline_table(tables["headline"])),
        _section(
            "Coverage", _figure(ensemble.plot("coverage", series="at_least_one")) + _figure(ensemble.plot())
        ),
        _section("Doses against supply", _figure(doses_against_supply(ensemble))),
        _section("Coverage by province (full series, lowest first)", _ranked(tables, "province")),
        _section("Coverage by district (full series, lowest first)", _ranked(tables, "district")),
        _section("Wastage by cause", _wastage(tables["wastage"])),
        _section("Cold-chain utilisation (stores closest to capacity)", _table(tables["cold_chain"])),
        _section("Sites with the worst waits and crowding", _sites(tables["sites"])),
        _section("What differs between the scenarios", _table(differences(ensemble), "no field differs")),
        _section("Run metadata", _metadata(ensemble)),
    ]
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_text(title)}</title><style>{STYLE}</style></head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script>\n</body></html>\n"
    )


def write_report(ensemble: Ensemble, path: str | Path, title: str | None = None) -> Path:
    """Write the report page to ``path`` (atomically)."""
    atomic_write_text(path, render(ensemble, title))
    return Path(path)


def headline_cell(figure: str, mean: float, low: float, high: float) -> str:
    """A headline figure as the page shows it: shares in %, counts with separators."""
    if figure.startswith("coverage"):
        return f"{100 * mean:.1f} % ({100 * low:.1f}–{100 * high:.1f})"
    return f"{mean:,.0f} ({low:,.0f}–{high:,.0f})"


def difference_cell(figure: str, mean: float, low: float, high: float) -> str:
    """A paired difference as the command line shows it: coverage in percentage points, counts
    with separators, signed."""
    if figure.startswith("coverage"):
        return f"{100 * mean:+.2f} pp ({100 * low:+.2f} to {100 * high:+.2f})"
    return f"{mean:+,.0f} ({low:+,.0f} to {high:+,.0f})"


def _headline_table(table: pd.DataFrame) -> str:
    wide = table.assign(
        cell=[headline_cell(r.figure, r.mean, r.ci95_low, r.ci95_high) for r in table.itertuples()]
    )
    wide = wide.pivot_table(index="figure", columns="scenario", values="cell", aggfunc="first", sort=False)
    seeds = table.groupby("scenario", sort=False).n.max()
    wide.columns = [f"{label} (n={seeds[label]})" for label in wide.columns]
    return _table(wide.reset_index())


def _ranked(tables: dict[str, pd.DataFrame], level: str) -> str:
    table = tables[f"coverage_by_{level}"]
    if table.empty:
        return "<p class='note'>these results have no coverage by this level</p>"
    figure = ranked_bars(table, level, f"full-series coverage by {level} (lowest first)")
    return _figure(figure) + _table(table.head(30))


def _wastage(table: pd.DataFrame) -> str:
    if table.empty:
        return "<p class='note'>no dose was wasted</p>"
    return _figure(wastage_bars(table)) + _table(table)


def _sites(table: pd.DataFrame) -> str:
    note = "<p class='note'>mean wait before service (minutes) and peak people on site, means over seeds</p>"
    return note + _table(table, "no site-queue figures (run with site queues)")


def _metadata(ensemble: Ensemble) -> str:
    rows: list[dict[str, Any]] = [
        {"item": "vaxsim", "value": vaxsim.__version__},
        *({"item": key, "value": value} for key, value in ensemble.info.items()),
    ]
    for label, info in ensemble.scenarios.items():
        seeds = sorted(ensemble.kpis.seed[ensemble.kpis.scenario == label])
        rows.append({"item": f"{label}: seeds", "value": ", ".join(str(seed) for seed in seeds)})
        rows.append({"item": f"{label}: scenario sha256", "value": info.get("sha256", "unknown")})
    return _table(pd.DataFrame(rows))


def _section(title: str, content: str) -> str:
    return f"<section><h2>{_text(title)}</h2>\n{content}\n</section>"


def _figure(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = figure.axes[0].get_title() if figure.axes else "figure"
    return f"<figure><img alt='{_text(title)}' src='data:image/png;base64,{encoded}'></figure>"


def _table(table: pd.DataFrame, empty: str = "nothing to show") -> str:
    if table.empty:
        return f"<p class='note'>{_text(empty)}</p>"
    head = "".join(f"<th>{_text(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        shown = "-" if value != value else (f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}")
        return f"<td data-value='{value!r}'>{shown}</td>"
    return f"<td>{_text(value)}</td>"


def _text(value: Any) -> str:
    return html.escape(str(value), quote=True)
