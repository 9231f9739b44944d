Attribute VB_Name = "KpiXl"
' kpi_xl: the Refresh button of a KPI plan workbook.
' It runs Python through xlwings' RunPython (the xlwings module in this workbook), so
' the owner needs Python with kpi_xl installed; the xlwings add-in is not required.
' Kept as text in workbook_templates/vba/ and assembled into the .xlsm at build time, when
' kpi_xl writes the texts the macro shows, in the plan's language, between '<texts> and
' '</texts> (kpi_xl/workbook/vba_project.py).
Option Explicit

#If Mac Then
#ElseIf VBA7 Then
    Private Declare PtrSafe Function MessageBoxW Lib "user32" (ByVal hWnd As LongPtr, _
        ByVal lpText As LongPtr, ByVal lpCaption As LongPtr, ByVal uType As Long) As Long
#Else
    Private Declare Function MessageBoxW Lib "user32" (ByVal hWnd As Long, _
        ByVal lpText As Long, ByVal lpCaption As Long, ByVal uType As Long) As Long
#End If

' What PythonStatus finds
Private Const PYTHON_READY As Long = 0
Private Const NO_PYTHON As Long = 1
Private Const NO_KPI_XL As Long = 2
' The check's exit code when xlwings or kpi_xl is not installed in that Python
Private Const PACKAGE_MISSING As Long = 3
' The exit code of cmd.exe and of Windows' "python" Store alias when there is no Python
Private Const NOT_FOUND As Long = 9009
Private Const CHECK_PYTHON As String = _
    "import importlib.util as u, sys; " & _
    "sys.exit(0 if u.find_spec('xlwings') and u.find_spec('kpi_xl') else 3)"
' MessageBoxW's flags
Private Const MB_ICONWARNING As Long = &H30
Private Const MB_RTLREADING As Long = &H2000
Private Const MB_SETFOREGROUND As Long = &H10000
Private Const MB_RIGHT As Long = &H80000

'<texts>
' (kpi_xl writes here the constant RIGHT_TO_LEFT and a function per text of
' kpi_xl/catalog/labels/vba.yaml: vba_title(), vba_refreshing(), ...)
'</texts>

Public Sub RefreshKpiPlan()
    Select Case PythonStatus()
        Case NO_PYTHON
            ShowMessage vba_no_python() & vbLf & vbLf & vba_install() & vbLf & vbLf & _
                vba_still_works()
            Exit Sub
        Case NO_KPI_XL
            ShowMessage vba_no_kpi_xl() & vbLf & vbLf & vba_install() & vbLf & vbLf & _
                vba_still_works()
            Exit Sub
    End Select
    On Error GoTo Failed
    Application.StatusBar = vba_refreshing()
    ' A problem in Python is shown by xlwings (its traceback) or by kpi_xl (one line).
    RunPython "import kpi_xl.excel.entry as e; e.refresh_from_excel()"
    Application.StatusBar = False
    Application.CalculateFull
    Exit Sub
Failed:
    Application.StatusBar = False
    ShowMessage vba_failed() & " " & Err.Description
End Sub

' Whether the Python that RunPython starts has xlwings and kpi_xl. Windows only: on macOS
' xlwings starts Python through an AppleScript and says itself what is missing. With a
' conda environment or an extra PYTHONPATH in xlwings' settings, RunPython is trusted.
Private Function PythonStatus() As Long
    PythonStatus = PYTHON_READY
#If Not Mac Then
    Dim interpreter As String, code As Long
    If GetConfig("CONDA PATH") <> "" Or GetConfig("PYTHONPATH") <> "" Then Exit Function
    interpreter = GetConfig("INTERPRETER_WIN", "")
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python")
    If interpreter <> "python" And interpreter <> "pythonw" Then
        interpreter = Chr(34) & interpreter & Chr(34)
    End If
    On Error GoTo NotFound
    code = CreateObject("WScript.Shell").Run(interpreter & " -c " & Chr(34) & CHECK_PYTHON & _
        Chr(34), 0, True)
    On Error GoTo 0
    If code = NOT_FOUND Then
        PythonStatus = NO_PYTHON
    ElseIf code = PACKAGE_MISSING Then
        PythonStatus = NO_KPI_XL
    End If
    Exit Function
NotFound:
    PythonStatus = NO_PYTHON
#End If
End Function

' A message box that shows any script (VBA's MsgBox cannot outside the ANSI code page).
Private Sub ShowMessage(ByVal message As String)
    Dim title As String
    title = vba_title()
#If Mac Then
    Dim buttons As Long
    buttons = vbExclamation
    If RIGHT_TO_LEFT Then buttons = buttons Or vbMsgBoxRtlReading Or vbMsgBoxRight
    MsgBox message, buttons, title
#Else
    Dim flags As Long
    flags = MB_ICONWARNING Or MB_SETFOREGROUND
    If RIGHT_TO_LEFT Then flags = flags Or MB_RTLREADING Or MB_RIGHT
    MessageBoxW Application.Hwnd, StrPtr(message), StrPtr(title), flags
#End If
End Sub
