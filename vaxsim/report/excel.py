"""The report's headline tables as an ``.xlsx`` workbook, one sheet per table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vaxsim.report.tables import SHEETS


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``tables`` (by sheet name) to ``path`` with openpyxl, columns sized to fit."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(final, engine="openpyxl") as writer:
        for name in SHEETS:
            table = tables[name]
            table.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column, title in zip(sheet.columns, table.columns, strict=False):
                width = max([len(str(title)), *(len(str(cell.value)) for cell in column[1:50])])
                sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
    return final
