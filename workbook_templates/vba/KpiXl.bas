Attribute VB_Name = "KpiXl"
' kpi_xl: the Refresh button of a KPI plan workbook.
' It runs Python through xlwings' RunPython (the xlwings module in this workbook), so
' the owner needs Python with kpi_xl installed; the xlwings add-in is not required.
' Kept as text in workbook_templates/vba/ and assembled into the .xlsm at build time.
Option Explicit

Public Sub RefreshKpiPlan()
    On Error GoTo Failed
    Application.StatusBar = "kpi_xl: refreshing..."
    RunPython "import kpi_xl.excel.entry as e; e.refresh_from_excel()"
    Application.StatusBar = False
    Application.CalculateFull
    Exit Sub
Failed:
    Application.StatusBar = False
    MsgBox "kpi_xl could not refresh: " & Err.Description, vbExclamation, "kpi_xl"
End Sub
