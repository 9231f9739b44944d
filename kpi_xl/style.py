"""The plan's palette: one set of colours for the workbook and the e-mail."""

from __future__ import annotations

HEADER_FILL = "#1F4E78"  # table headers, titles
INPUT_FILL = "#FFF2CC"  # cells the user types into
INPUT_BORDER = "#BF9000"

#: Fill and font colour of each status code (see :mod:`kpi_xl.catalog.status_bands`).
STATUS_COLORS = {
    "on_track": ("#C6EFCE", "#006100"),
    "at_risk": ("#FFEB9C", "#9C5700"),
    "off_track": ("#FFC7CE", "#9C0006"),
    "no_data": ("#EDEDED", "#595959"),
    "too_early": ("#DDEBF7", "#1F4E78"),  # a partial period not yet worth judging
    "no_target": ("#F2F2F2", "#404040"),  # data, but nothing to judge it against
}
