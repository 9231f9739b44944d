"""The plan workbook writer (XlsxWriter)."""
