@echo off
rem 刷新台账：等台账关闭后运行 duban refresh --letters，显示结果，再重新打开台账。
rem 用法：刷新台账.cmd [台账文件]   不带参数时刷新本文件所在文件夹中的 督查台账.xlsm（或 .xlsx）。
rem   台账中的“刷新台账”按钮（WPS 表格、Windows 上的 LibreOffice）会先保存并关闭台账，再调用本文件。
rem   台账仍被 Excel、WPS 或 LibreOffice 打开（锁文件还在）时最多等 60 秒。
rem   每次运行的输出记入台账所在文件夹的 .duban\logs\button.log。
rem 环境变量：DUBAN              duban 程序的路径（默认依次找：台账文件夹的 .venv、PATH、
rem                              %LOCALAPPDATA%\duban\venv，即安装程序的安装位置）
rem           DUBAN_NO_REOPEN=1  完成后不重新打开台账
rem           DUBAN_WAIT_SECONDS 等台账关闭的最长秒数（默认 60）
rem 退出码：0 完成；2 找不到台账；3 台账一直被打开；9009 找不到 duban；其他为 duban refresh 的退出码。
chcp 65001 >nul
setlocal EnableExtensions DisableDelayedExpansion
rem duban writes UTF-8 whatever the console's code page
set "PYTHONUTF8=1"
set "LEDGER=%~1"
if "%LEDGER%"=="" if exist "%~dp0督查台账.xlsm" set "LEDGER=%~dp0督查台账.xlsm"
if "%LEDGER%"=="" if exist "%~dp0督查台账.xlsx" set "LEDGER=%~dp0督查台账.xlsx"
if "%LEDGER%"=="" goto noledger
if not exist "%LEDGER%" goto noledger
for %%I in ("%LEDGER%") do set "LEDGER=%%~fI"
for %%I in ("%LEDGER%") do set "FOLDER=%%~dpI"
for %%I in ("%LEDGER%") do set "NAME=%%~nxI"
set "SHORT=%NAME:~2%"
set "LOG=%FOLDER%.duban\logs\button.log"
if not exist "%FOLDER%.duban\logs" mkdir "%FOLDER%.duban\logs" 2>nul
if not exist "%FOLDER%.duban\logs" set "LOG=%TEMP%\duban-button.log"
>>"%LOG%" echo ==== %DATE% %TIME% 刷新台账：%LEDGER%

rem --- wait until no office suite has the workbook open ------------------------------------
if not defined DUBAN_WAIT_SECONDS set "DUBAN_WAIT_SECONDS=60"
set /a WAITED=0
:wait
set "LOCK="
if exist "%FOLDER%~$%NAME%" set "LOCK=%FOLDER%~$%NAME%"
if exist "%FOLDER%~$%SHORT%" set "LOCK=%FOLDER%~$%SHORT%"
if exist "%FOLDER%.~lock.%NAME%#" set "LOCK=%FOLDER%.~lock.%NAME%#"
if not defined LOCK goto closed
if %WAITED% GEQ %DUBAN_WAIT_SECONDS% goto locked
if %WAITED%==0 call :note "台账正在被打开（%LOCK%），等它关闭……"
timeout /t 1 /nobreak >nul
set /a WAITED+=1
goto wait
:closed

rem --- find duban ---------------------------------------------------------------------------
set "EXE="
if defined DUBAN set "EXE=%DUBAN%"
if not defined EXE if exist "%FOLDER%.venv\Scripts\duban.exe" set "EXE=%FOLDER%.venv\Scripts\duban.exe"
if not defined EXE if exist "%~dp0.venv\Scripts\duban.exe" set "EXE=%~dp0.venv\Scripts\duban.exe"
if not defined EXE for %%P in (duban.exe) do if not "%%~$PATH:P"=="" set "EXE=%%~$PATH:P"
if not defined EXE if exist "%LOCALAPPDATA%\duban\venv\Scripts\duban.exe" set "EXE=%LOCALAPPDATA%\duban\venv\Scripts\duban.exe"
if not defined EXE goto noduban
if not exist "%EXE%" goto noduban

rem --- refresh ------------------------------------------------------------------------------
set "OUT=%TEMP%\duban-button-%RANDOM%.txt"
set /a TRIES=0
:again
"%EXE%" refresh --letters "%LEDGER%" >"%OUT%" 2>&1
set "CODE=%ERRORLEVEL%"
type "%OUT%"
type "%OUT%" >>"%LOG%"
rem 3: the workbook was opened or changed meanwhile (duban's own check): wait and retry
if not "%CODE%"=="3" goto done
if %TRIES% GEQ 10 goto done
set /a TRIES+=1
timeout /t 2 /nobreak >nul
goto again
:done
del "%OUT%" 2>nul
call :reopen
if not "%CODE%"=="0" goto failed
call :note "台账已刷新。"
>>"%LOG%" echo ==== 结束（退出码 0）
timeout /t 10 >nul
exit /b 0

:failed
call :note "刷新没有完成（退出码 %CODE%），请按上面的提示处理后再试。详见 %LOG%"
>>"%LOG%" echo ==== 结束（退出码 %CODE%）
pause
exit /b %CODE%

:noledger
echo 找不到台账文件：请把本文件放在台账所在文件夹，或把台账文件拖到本文件上。
pause
exit /b 2

:locked
call :note "台账仍被打开（锁文件“%LOCK%”还在），等了 %WAITED% 秒仍未关闭，没有刷新。"
call :note "请在 Excel、WPS 或 LibreOffice 中关闭台账（其他电脑上打开的也要关闭）后再试；如果确认没有人打开台账，删除这个锁文件后再试。"
>>"%LOG%" echo ==== 结束（退出码 3）
pause
exit /b 3

:noduban
if defined EXE call :note "环境变量 DUBAN 指向的“%EXE%”不存在。"
call :note "找不到 duban 程序，没有刷新。"
call :note "请先运行安装程序（安装.cmd）安装 duban，或把 duban 装在台账文件夹的 .venv 中，或设置环境变量 DUBAN 为 duban.exe 的完整路径。"
call :reopen
>>"%LOG%" echo ==== 结束（退出码 9009）
pause
exit /b 9009

rem --- helpers ------------------------------------------------------------------------------
:note
echo %~1
>>"%LOG%" echo %~1
exit /b 0

:reopen
if "%DUBAN_NO_REOPEN%"=="1" exit /b 0
start "" "%LEDGER%"
exit /b 0
