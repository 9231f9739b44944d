Attribute VB_Name = "KpiXl"
' kpi_xl: the Refresh button of a KPI plan workbook.
' It runs Python through xlwings' RunPython (the xlwings module in this workbook), so
' the owner needs Python with kpi_xl installed; the xlwings add-in is not required.
' The installed kpi_xl runs, never a kpi_xl folder next to the workbook (RunPython below),
' and an xlwings configuration that came with the workbook (an xlwings.conf sheet, an
' xlwings.conf file in its folder) stops the button unless its owner trusts it
' (StrayConfig below; docs/macro.md).
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
    If StrayConfig() Then
        ShowMessage vba_failed() & " " & vba_stray_config()
        Exit Sub
    End If
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

' kpi_xl's RunPython: xlwings' RunPython with the Python of SAFE_PATH_BEGIN and
' SAFE_PATH_END before the command. xlwings puts the workbook's folder (and Python the
' current folder) first on sys.path, where a kpi_xl folder beside the workbook would be
' imported instead of the installed package; that Python takes them off sys.path. The
' workbook's name goes between the two parts as character codes, which no quote, %, & or
' | in it can break on the command line. (Being this module's own, it is the RunPython
' that RefreshKpiPlan calls.)
Private Function RunPython(ByVal pythonCommand As String)
    RunPython = xlwings.RunPython(SAFE_PATH_BEGIN & CharCodes(ThisWorkbook.Name) & _
        SAFE_PATH_END & pythonCommand)
End Function

' The UTF-16 code units of source, separated by commas: "Plan" gives 80,108,97,110.
Private Function CharCodes(ByVal source As String) As String
    Dim i As Long, codes As String
    For i = 1 To Len(source)
        If i > 1 Then codes = codes & ","
        codes = codes & CStr(AscW(Mid$(source, i, 1)) And &HFFFF&)
    Next i
    CharCodes = codes
End Function

' Whether an xlwings configuration came with the workbook: an xlwings.conf sheet in it or
' an xlwings.conf file in its folder. Either would choose, before any kpi_xl code runs,
' the Python that runs, its path, a conda environment, so it stops the button unless the
' owner trusts it in their own xlwings.conf (the user-level one, which the workbook cannot
' bring): "KPI_XL_TRUST_WORKBOOK_CONFIG","true".
Private Function StrayConfig() As Boolean
    If LCase$(Trim$(GetConfig(TRUST_CONFIG, "", USER_CONFIG))) = TRUE_TEXT Then Exit Function
    If SheetExists(ThisWorkbook, CONFIG_NAME) Then
        StrayConfig = True
    ElseIf GetFullName(ThisWorkbook) <> "" Then
        StrayConfig = FileExists(GetDirectoryConfigFilePath())
    End If
End Function

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
