Attribute VB_Name = "DubanButton"
' duban: the macros behind the refresh button on the ledger sheet.
' Kept as text under version control (macros/DubanButton.bas) and put into the
' .xlsm by `duban init --xlsm`; edit it there, not only in the VBA editor.
' ASCII only: a VBA project stores source in one ANSI code page, so Chinese text
' is spelled as Unicode code points and built with Zh(); get the codes of a text with
' python -c "print(' '.join(f'{ord(c):04X}' for c in 'text'))".
' Runs in Microsoft Excel, WPS (with its VBA component) and LibreOffice (which runs
' the VBA project in its compatibility mode): use only what all three understand.
Option Explicit

' The Python command the button runs through xlwings: a fixed module and function of
' the duban package, so renaming the workbook does not break the button.
Public Const DUBAN_COMMAND As String = "import automation.button as b; b.refresh()"

' The button. Microsoft Excel on Windows: refresh through Excel with xlwings while the
' workbook stays open. Any other host (WPS, LibreOffice, Excel for Mac): save, close,
' let the launcher beside the workbook refresh the file and open it again.
Public Sub RefreshLedger()
    If HostRunsXlwings() Then
        RunPython DUBAN_COMMAND
    Else
        RefreshByCommandLine
    End If
End Sub

' True only in Microsoft Excel 2007 or later on Windows, the host xlwings drives.
' LibreOffice also answers "Microsoft Excel" to Application.Name, but reports version
' 11.0 and has no Application.Path; WPS installs under a Kingsoft or WPS folder.
Public Function HostRunsXlwings() As Boolean
    On Error GoTo NotExcel
    If Application.Name <> "Microsoft Excel" Then Exit Function
    If InStr(1, Application.OperatingSystem, "Windows", vbTextCompare) <> 1 Then Exit Function
    If Val(Application.Version) < 12 Then Exit Function
    If InStr(1, Application.Path, "Kingsoft", vbTextCompare) > 0 Then Exit Function
    If InStr(1, Application.Path, "WPS", vbTextCompare) > 0 Then Exit Function
    HostRunsXlwings = True
NotExcel:
End Function

' Hand the workbook to the launcher beside it (Windows: the .cmd, elsewhere: the .sh),
' then save and close it. The launcher waits until the workbook is closed, runs
' `duban refresh --letters`, shows the result and opens the workbook again.
Public Sub RefreshByCommandLine()
    Dim book As Workbook, sep As String, ledger As String, launcher As String
    Dim onWindows As Boolean, command As String
    Set book = ThisWorkbook
    If book.Path = "" Then
        Tell Zh("53F0 8D26 8FD8 6CA1 6709 4FDD 5B58 4E3A 6587 4EF6 FF1A 8BF7 5148 4FDD 5B58 5230 5237 65B0 7A0B 5E8F 6240 5728 7684 6587 4EF6 5939 FF0C 518D 70B9 201C 5237 65B0 53F0 8D26 201D 3002")
        Exit Sub
    End If
    sep = Application.PathSeparator
    onWindows = (sep = "\")
    ' Path and Name, not FullName: LibreOffice gives the bare file name as FullName.
    ledger = book.Path & sep & book.Name
    If onWindows Then
        launcher = book.Path & sep & LauncherName() & ".cmd"
    Else
        launcher = book.Path & sep & LauncherName() & ".sh"
    End If
    If Dir(launcher) = "" Then
        Tell MissingLauncher(launcher)
        Exit Sub
    End If
    If onWindows Then
        command = "cmd /c """"" & launcher & """ """ & ledger & """"""
    Else
        ' LibreOffice's Shell splits the command line itself, honouring "..." and '...'.
        command = "/bin/sh " & Quoted(launcher) & " " & Quoted(ledger)
    End If
    If IsReadOnly(book) Then
        Tell Zh("53F0 8D26 662F 4EE5 53EA 8BFB 65B9 5F0F 6253 5F00 7684 FF0C 65E0 6CD5 4FDD 5B58 FF1A 8BF7 5173 95ED 53F0 8D26 FF0C 91CD 65B0 6253 5F00 FF08 4E0D 9009 201C 53EA 8BFB 201D FF09 540E 518D 70B9 201C 5237 65B0 53F0 8D26 201D 3002")
        Exit Sub
    End If
    On Error GoTo Failed
    If onWindows Then
        CreateObject("WScript.Shell").Run command, 1, False
    Else
        Shell command, 1
    End If
    On Error GoTo 0
    ' Saved by Close, not by a Save before it: LibreOffice runs Save as a menu command,
    ' after which the document does not close. The launcher waits until it is closed.
    book.Close SaveChanges:=True
    Exit Sub
Failed:
    Tell Zh("6CA1 80FD 542F 52A8 5237 65B0 FF1A") & Err.Description & Zh("3002 53F0 8D26 6CA1 6709 5173 95ED FF1B 8BF7 5148 624B 52A8 4FDD 5B58 FF0C 5173 95ED 53F0 8D26 540E 53CC 51FB 540C 4E00 6587 4EF6 5939 4E2D 7684 5237 65B0 7A0B 5E8F 3002")
End Sub

' True when the workbook cannot be saved where it is (opened read-only).
Private Function IsReadOnly(ByVal book As Workbook) As Boolean
    On Error Resume Next
    IsReadOnly = book.ReadOnly
End Function

' The launchers' file name without extension.
Private Function LauncherName() As String
    LauncherName = Zh("5237 65B0 53F0 8D26")
End Function

Private Function MissingLauncher(ByVal launcher As String) As String
    MissingLauncher = Zh("627E 4E0D 5230 5237 65B0 7A0B 5E8F 201C") & launcher _
        & Zh("201D 3002 8BF7 628A") & " duban " & Zh("751F 6210 7684 5237 65B0 7A0B 5E8F FF08") _
        & "Windows " & Zh("7528 201C") & LauncherName() & ".cmd" & Zh("201D FF0C") _
        & "Linux " & Zh("7528 201C") & LauncherName() & ".sh" _
        & Zh("201D FF09 653E 56DE 53F0 8D26 6240 5728 7684 6587 4EF6 5939 3002")
End Function

' Quote a path for the command line: in double quotes, or in single quotes when it holds
' a double quote (LibreOffice's Shell knows no escapes inside either).
Private Function Quoted(ByVal path As String) As String
    If InStr(path, """") > 0 Then
        Quoted = "'" & path & "'"
    Else
        Quoted = """" & path & """"
    End If
End Function

' Show a message to the person who pressed the button.
Private Sub Tell(ByVal message As String)
    MsgBox message, vbExclamation, Zh("7763 529E 53F0 8D26 FF1A 5237 65B0 53F0 8D26")
End Sub

' Turn space-separated hexadecimal code points into a string.
Private Function Zh(ByVal codes As String) As String
    Dim code As Variant
    For Each code In Split(codes, " ")
        Zh = Zh & ChrW(CLng("&H" & code))
    Next code
End Function
