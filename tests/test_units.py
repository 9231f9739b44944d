"""Money as the plan's language writes it: the symbol before or after the amount, cents
only where they matter."""

from __future__ import annotations

import pytest

from kpi_xl.catalog.units import format_value, number_format


@pytest.mark.parametrize(
    ("lang", "ratio", "code", "text"),
    [
        ("en", False, '"€"#,##0;-"€"#,##0', "€170,264"),  # revenue: whole euros
        ("en", True, '"€"#,##0.00;-"€"#,##0.00', "€170,264.21"),  # an order value
        ("fi", False, '#,##0 "€"', "170,264 €"),
        ("he", True, '#,##0.00 "€"', "170,264.21 €"),
        ("fa", False, '#,##0 "€"', "170,264 €"),
        ("uz", False, '#,##0 "€"', "170,264 €"),
    ],
)
def test_money_in_each_language(lang: str, ratio: bool, code: str, text: str) -> None:
    assert number_format("currency", "EUR", ratio, lang) == code
    assert format_value(170264.21, "currency", "EUR", ratio=ratio, lang=lang) == text


def test_a_currency_without_a_symbol_shows_its_code() -> None:
    assert number_format("currency", "sek", True, "en") == '"SEK "#,##0.00;-"SEK "#,##0.00'
    assert format_value(-12.5, "currency", "SEK", ratio=True) == "-SEK 12.50"
    assert format_value(-0.001, "currency", "USD", ratio=True) == "$0.00"  # no "-$0.00"
    # rounded as the spreadsheet shows it: half away from zero, not Python's half to even
    assert format_value(1234.5, "currency", "USD") == "$1,235"
    assert format_value(2.675, "multiple", "") == "2.68x"  # 2.67499999... in binary
    assert format_value(0.0125, "percent", "") == "1.3%"


def test_other_units_do_not_depend_on_the_currency() -> None:
    assert number_format("percent", "EUR") == "0.0%"
    assert format_value(0.0251, "percent", "USD") == "2.5%"
    assert format_value(3.456, "multiple", "") == "3.46x"
