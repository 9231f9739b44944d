"""The plan's palette: one set of colours for the workbook and the e-mail."""

from __future__ import annotations

HEADER_FILL = "#1F4E78"  # table headers, titles
INPUT_FILL = "#FFF2CC"  # cells the user types into
INPUT_BORDER = "#BF9000"

#: Fill and font colour of each status code (see :mod:`kpi_xl.catalog.status_bands`).
#: Chosen for colour-blind readers: the three judged statuses (teal, amber, salmon) stay
#: far apart (CIELAB distance) under simulated deuteranopia, protanopia and tritanopia,
#: unlike Excel's Good/Bad green and pink, which deuteranopia makes the same beige; the
#: three unjudged ones are pale and told apart by their symbol and word
#: (tests/test_status_palette.py). Every font colour contrasts 4.5:1 or more with its fill.
STATUS_COLORS = {
    "on_track": ("#8CCFDD", "#0B4A55"),
    "at_risk": ("#FFE08A", "#6B4100"),
    "off_track": ("#F08C78", "#5C1000"),
    "no_data": ("#D0D0D0", "#333333"),
    "too_early": ("#F0ECF6", "#4B3B70"),  # a partial period not yet worth judging
    "no_target": ("#FFFFFF", "#595959"),  # data, but nothing to judge it against
}
#: The symbol written before each status word, so that a status never rests on colour.
STATUS_SYMBOLS = {
    "on_track": "\u2713",  # ✓
    "at_risk": "!",
    "off_track": "\u2717",  # ✗
    "no_data": "\u2205",  # ∅
    "too_early": "\u2026",  # …
    "no_target": "\u25cb",  # ○
}
