"""What every sheet writer shares: the workbook, its formats, the model and the layout."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kpi_xl import periods as cal
from kpi_xl.catalog.records import KPI, label
from kpi_xl.digits import to_persian_digits
from kpi_xl.plan import judgement
from kpi_xl.plan.layout import META_SHEET, PlanLayout
from kpi_xl.plan.model import PlanModel
from kpi_xl.vocabulary import RTL_LANGUAGES
from kpi_xl.workbook.xlsx import Formats, PlanSheet, add_sheet

#: A Data table of at least this many rows is written out row by row (a StreamedSheet):
#: the million-row input's 32,928 rows x 50 columns would hold 1.6 million cells in memory.
STREAMED_ROWS = 20_000


@dataclass
class Context:
    workbook: Any  # xlsxwriter.Workbook
    model: PlanModel
    layout: PlanLayout
    fmt: Formats
    lang: str
    sheets: dict[str, PlanSheet] = field(default_factory=dict)
    selected: str = ""  # the period selector's value (kept by refresh); "" = the latest

    @property
    def rtl(self) -> bool:
        return self.lang in RTL_LANGUAGES

    def t(self, key: str, **values: str) -> str:
        text = label(key, self.lang)
        return text.format(**values) if values else text

    def channel_label(self, channel: str) -> str:
        return self.t(f"channel_{channel}")

    def digits(self, text: str) -> str:
        """``text`` with its digits in the plan's digits (Persian: ۰-۹)."""
        return to_persian_digits(text) if self.model.spec.digits == "persian" else text

    def period_label(self, key: str) -> str:
        """A period as the reader names it, in the plan's calendar and digits (``October
        2026``, ``مهر ۱۴۰۵``)."""
        spec = self.model.spec
        return cal.period_label(key, spec.grain, self.lang, digits=spec.digits or "latin")

    def data_note(self, kpi: KPI, scope: str, *, overview: bool = False) -> str:
        """What the sheet says beside a KPI (:func:`kpi_xl.plan.judgement.data_note`)."""
        return judgement.data_note(self.model, kpi, scope, self.lang, overview=overview)

    def add_sheets(self) -> None:
        """Every generated sheet, in the layout's order."""
        for role, name in self.layout.sheets.items():
            rtl = self.rtl and role != META_SHEET
            streamed = role == "data" and self.layout.data.rows >= STREAMED_ROWS
            self.sheets[role] = add_sheet(self.workbook, name, rtl=rtl, streamed=streamed)

    def sheet(self, role: str) -> PlanSheet:
        return self.sheets[role]
