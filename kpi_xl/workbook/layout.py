"""Sheet-wide settings shared by every generated sheet: printing and protection."""

from __future__ import annotations

from xlsxwriter.worksheet import Worksheet


def print_setup(sheet: Worksheet, header_row: int | None = None, *, report: bool = False) -> None:
    """Landscape, fit to one page wide, header rows repeated on every page.

    ``report`` sheets (Overview, channel plans) hide gridlines on screen and paper;
    table-like sheets keep them on screen.
    """
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.hide_gridlines(2 if report else 1)
    if header_row is not None:
        sheet.repeat_rows(header_row)


def protect(sheet: Worksheet) -> None:
    """Protect generated cells (no password); unlocked input cells stay editable."""
    sheet.protect(
        "",
        {
            "autofilter": True,
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )
