Attribute VB_Name = "DubanButton"
' duban: the macros behind the refresh button on the ledger sheet.
' Kept as text under version control (macros/DubanButton.bas) and put into the
' .xlsm by `duban init --xlsm`; edit it there, not only in the VBA editor.
' ASCII only: a VBA project stores source in one ANSI code page, so Chinese text
' is spelled as Unicode code points and built with Zh().
Option Explicit

' The Python command the button runs through xlwings: a fixed module and function of
' the duban package, so renaming the workbook does not break the button.
Public Const DUBAN_COMMAND As String = "import automation.button as b; b.refresh()"

' The button. Microsoft Excel: refresh through Excel with xlwings while the workbook
' stays open. Any other host (WPS): save, close, refresh the file, reopen.
Public Sub RefreshLedger()
    If Application.Name = "Microsoft Excel" Then
        RunPython DUBAN_COMMAND
    Else
        RefreshByCommandLine
    End If
End Sub

' Save and close the workbook and hand it to the launcher beside it, which runs
' `duban refresh` once the file is closed and then opens it again.
Public Sub RefreshByCommandLine()
    Dim book As Workbook, launcher As String
    Set book = ThisWorkbook
    launcher = book.Path & Application.PathSeparator & Zh("5237 65B0 53F0 8D26") & ".cmd"
    If Dir(launcher) = "" Then
        MsgBox Zh("627E 4E0D 5230 5237 65B0 7A0B 5E8F FF08 672C 6587 4EF6 5939 4E2D 7684 201C 5237 65B0 53F0 8D26 002E 0063 006D 0064 201D FF09 FF0C 8BF7 91CD 65B0 8FD0 884C 0020 0064 0075 0062 0061 006E 0020 0069 006E 0069 0074 0020 002D 002D 0078 006C 0073 006D 0020 6216 4ECE 0020 0064 0075 0062 0061 006E 0020 5B89 88C5 76EE 5F55 590D 5236 3002"), vbExclamation
        Exit Sub
    End If
    book.Save
    CreateObject("WScript.Shell").Run "cmd /c """"" & launcher & """ """ & book.FullName & """""", 1, False
    book.Close SaveChanges:=False
End Sub

' Turn space-separated hexadecimal code points into a string.
Private Function Zh(ByVal codes As String) As String
    Dim code As Variant
    For Each code In Split(codes, " ")
        Zh = Zh & ChrW(CLng("&H" & code))
    Next code
End Function
