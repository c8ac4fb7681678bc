@echo off
rem 刷新台账：对已关闭（或刚保存并关闭）的台账运行 duban refresh，完成后重新打开。
rem 用法：刷新台账.cmd [台账文件]   不带参数时刷新本文件所在文件夹中的 督查台账.xlsm（或 .xlsx）。
rem 台账仍被 WPS/Excel 打开时（锁文件未消失）每 2 秒重试一次，最多 60 秒。
chcp 65001 >nul
setlocal
set "LEDGER=%~1"
if "%LEDGER%"=="" if exist "%~dp0督查台账.xlsm" set "LEDGER=%~dp0督查台账.xlsm"
if "%LEDGER%"=="" if exist "%~dp0督查台账.xlsx" set "LEDGER=%~dp0督查台账.xlsx"
if "%LEDGER%"=="" (
    echo 找不到台账文件，请把本文件放在台账所在文件夹，或把台账文件拖到本文件上。
    pause
    exit /b 2
)
set "DUBAN=duban"
if exist "%~dp0.venv\Scripts\duban.exe" set "DUBAN=%~dp0.venv\Scripts\duban.exe"
set TRIES=0
:again
"%DUBAN%" refresh "%LEDGER%"
set CODE=%ERRORLEVEL%
rem 3 = 台账正被打开或刚被改动：等对方关闭后重试
if not "%CODE%"=="3" goto done
if %TRIES% GEQ 30 goto done
set /a TRIES+=1
timeout /t 2 /nobreak >nul
goto again
:done
if not "%CODE%"=="0" (
    echo 刷新没有完成（退出码 %CODE%），请按上面的提示处理后再试。
    pause
    exit /b %CODE%
)
rem 重新打开台账（设了 DUBAN_NO_REOPEN 则不打开）
if defined DUBAN_NO_REOPEN exit /b 0
start "" "%LEDGER%"
