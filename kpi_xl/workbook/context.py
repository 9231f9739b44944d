"""What every sheet writer shares: the workbook, formats, the model and the cell registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import xlsxwriter

from kpi_xl.catalog.records import label
from kpi_xl.plan.model import PlanModel
from kpi_xl.vocabulary import CHANNELS, RTL_LANGUAGES
from kpi_xl.workbook.xlsx import Formats, PlanSheet, add_sheet

SHEET_NAME_LIMIT = 31
_FORBIDDEN = set("[]:*?/\\")


def safe_sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    clean = "".join("-" if ch in _FORBIDDEN else ch for ch in name).strip("'").strip()
    clean = clean[:SHEET_NAME_LIMIT] or "Sheet"
    candidate, n = clean, 2
    while candidate.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        candidate = clean[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


@dataclass
class Context:
    workbook: xlsxwriter.Workbook
    model: PlanModel
    fmt: Formats
    lang: str
    sheet_names: dict[str, str] = field(default_factory=dict)  # role -> localized name
    inputs: dict[str, str] = field(default_factory=dict)  # input key -> 'Sheet'!$B$3
    layout: dict[str, Any] = field(default_factory=dict)  # cells the refresh logic needs
    sheets: dict[str, PlanSheet] = field(default_factory=dict)

    @property
    def rtl(self) -> bool:
        return self.lang in RTL_LANGUAGES

    def t(self, key: str, **values: str) -> str:
        text = label(key, self.lang)
        return text.format(**values) if values else text

    def channel_label(self, channel: str) -> str:
        return self.t(f"channel_{channel}")

    def name_sheets(self, channels: list[str]) -> None:
        taken: set[str] = {"_meta"}
        roles = ["overview", *channels, "targets", "data", "definitions", "settings"]
        for role in roles:
            text = self.channel_label(role) if role in CHANNELS else self.t(f"sheet_{role}")
            self.sheet_names[role] = safe_sheet_name(text, taken)
        self.sheet_names["_meta"] = "_meta"

    def sheet(self, role: str) -> PlanSheet:
        if role not in self.sheets:
            rtl = self.rtl and role != "_meta"
            self.sheets[role] = add_sheet(self.workbook, self.sheet_names[role], rtl=rtl)
        return self.sheets[role]
