@echo off
chcp 65001 >nul
setlocal
title duban @VERSION@ 安装
rem duban @VERSION@ 离线安装程序（Windows 10/11，64 位）。说明见同一文件夹中的“安装说明.txt”。
rem 装到当前用户的 LOCALAPPDATA\duban 文件夹：不需要管理员权限，不联网。
rem 用法：双击运行；或把台账文件拖到本文件上，桌面快捷方式“刷新台账”就固定刷新这本台账。
rem 部署时不想停在最后的“按任意键继续”，可先设置环境变量 DUBAN_NO_PAUSE=1。

rem BUNDLE: this folder, without the trailing backslash (a backslash before a closing quote escapes it)
for %%I in ("%~dp0.") do set "BUNDLE=%%~fI"
set "LEDGER=%~f1"
if not defined LOCALAPPDATA goto no_appdata
set "DUBAN_HOME=%LOCALAPPDATA%\duban"
set "VENV=%LOCALAPPDATA%\duban\venv"
set "OLD=%LOCALAPPDATA%\duban\venv-old"
set "LOG=%LOCALAPPDATA%\duban\安装日志.txt"
set "PROBE=%TEMP%\duban-python-%RANDOM%.txt"
rem tools\install_helper.py writes what it does to the screen and to this log
set "DUBAN_LOG=%LOG%"

rem pip must use this folder's wheels only: no index, no pip.ini of this PC, no questions.
set "PIP_CONFIG_FILE=nul"
set "PIP_FIND_LINKS="
set "PIP_INDEX_URL="
set "PIP_EXTRA_INDEX_URL="
set "PIP_NO_INPUT=1"
set "PIP_DISABLE_PIP_VERSION_CHECK=1"
rem Python prints UTF-8, which this window shows after chcp 65001; no stray PYTHONHOME/PYTHONPATH.
set "PYTHONUTF8=1"
set "PYTHONIOENCODING=utf-8"
set "PYTHONHOME="
set "PYTHONPATH="

echo.
echo ==== 安装 duban @VERSION@（督办台账自动化）====
if not exist "%BUNDLE%\wheels\*.whl" goto not_unpacked
if not exist "%DUBAN_HOME%" mkdir "%DUBAN_HOME%"
if not exist "%DUBAN_HOME%" goto no_home
>>"%LOG%" echo.
>>"%LOG%" echo ==== duban @VERSION@ 安装 %DATE% %TIME% ====
>>"%LOG%" echo 安装包："%BUNDLE%"

echo [1/5] 查找 Python（64 位的 3.12 或 3.11）……
set "PY="
call :find_python py -3.12
if not defined PY call :find_python py -3.11
if not defined PY call :find_python python
if not defined PY call :find_python "%LOCALAPPDATA%\Programs\Python\Python312\python.exe"
if not defined PY call :find_python "%LOCALAPPDATA%\Programs\Python\Python311\python.exe"
if not defined PY call :python_from_bundle
if not defined PY goto no_python
echo       使用 "%PY%"
>>"%LOG%" echo Python："%PY%"

echo [2/5] 核对安装包文件……
"%PY%" "%BUNDLE%\tools\install_helper.py" verify "%BUNDLE%"
if errorlevel 1 goto bad_bundle

echo [3/5] 建立 duban 专用的 Python 环境……
rem The installed environment is set aside, not deleted, until the new one works. Windows
rem refuses to rename a folder while a program runs from it (Excel's button, a scheduled task).
if exist "%OLD%" rmdir /s /q "%OLD%"
if exist "%VENV%" ren "%VENV%" "venv-old" >>"%LOG%" 2>&1
if exist "%VENV%" goto in_use
"%PY%" -m venv --without-pip "%VENV%" >>"%LOG%" 2>&1
if errorlevel 1 goto no_venv

echo [4/5] 安装 duban @VERSION@ 及其依赖（不联网，约需一两分钟）……
set "PIP_WHEEL="
for %%W in ("%BUNDLE%\wheels\pip-*.whl") do set "PIP_WHEEL=%%~fW"
if not defined PIP_WHEEL goto bad_bundle
"%VENV%\Scripts\python.exe" "%PIP_WHEEL%\pip" install --no-index --find-links "%BUNDLE%\wheels" pip "duban==@VERSION@" >>"%LOG%" 2>&1
if errorlevel 1 goto pip_failed
"%VENV%\Scripts\duban.exe" --version >>"%LOG%" 2>&1
if errorlevel 1 goto pip_failed
if exist "%OLD%" rmdir /s /q "%OLD%"

echo [5/5] 设置 duban 命令、Excel 按钮和桌面快捷方式……
"%VENV%\Scripts\python.exe" "%BUNDLE%\tools\install_helper.py" windows "%DUBAN_HOME%" "%LEDGER%"
if errorlevel 1 goto setup_partly

echo.
echo 安装完成：duban @VERSION@ 已装好。
echo   - 新打开的命令提示符窗口中可以直接使用 duban 命令，例如 duban init D:\督查室
echo   - 台账中的“刷新台账”按钮（Excel）已可使用，无需再填写 xlwings.conf 表；
echo   - 桌面上的“刷新台账”：把台账文件拖到它上面即可刷新（安装时拖入过台账的，双击即可）。
echo 安装日志："%LOG%"
>>"%LOG%" echo 安装完成。
goto finish

:setup_partly
echo.
echo duban 已装好，但上面标为“未完成”的设置没有做成，可以按“安装说明.txt”第四节手工完成；
echo 也可以关闭 Excel 后重新运行本程序。duban 本身可以这样运行：
echo   "%VENV%\Scripts\duban.exe" --help
echo 安装日志："%LOG%"
goto finish

:find_python
rem Keep the command in the arguments if it starts a CPython 3.11 or 3.12 for 64-bit x86 (win-amd64).
%* -c "import sys, sysconfig; ok = sys.version_info[:2] in ((3, 11), (3, 12)) and sysconfig.get_platform() == 'win-amd64'; print(sys.executable if ok else '')" >"%PROBE%" 2>nul
for /f "usebackq delims=" %%P in ("%PROBE%") do set "PY=%%P"
del "%PROBE%" >nul 2>&1
exit /b 0

:python_from_bundle
rem A Python installer copied into this folder is run for the current user only (no admin rights).
set "INSTALLER="
for %%F in ("%BUNDLE%\python-3.12*-amd64.exe" "%BUNDLE%\python-3.11*-amd64.exe") do if not defined INSTALLER set "INSTALLER=%%~fF"
if not defined INSTALLER exit /b 0
echo       未找到 Python，正在安装本文件夹中的 "%INSTALLER%"……
"%INSTALLER%" /passive InstallAllUsers=0 InstallLauncherAllUsers=0 PrependPath=1 Include_launcher=1 Include_test=0 >>"%LOG%" 2>&1
call :find_python "%LOCALAPPDATA%\Programs\Python\Python312\python.exe"
if not defined PY call :find_python "%LOCALAPPDATA%\Programs\Python\Python311\python.exe"
exit /b 0

:no_python
echo.
echo 没有找到可用的 Python。duban 需要 64 位的 Python 3.12 或 3.11，请这样安装：
echo   1. 在能上网的电脑上打开 https://www.python.org/downloads/windows/ ，下载
echo      Python 3.12 的“Windows installer (64-bit)”，文件名为 python-3.12.10-amd64.exe，
echo      用 U 盘拷到本机。Windows 7 不能安装，请用 Windows 10 或 11。
echo   2. 双击运行它，在第一页最下方勾选“Add python.exe to PATH”，再点“Install Now”。
echo   3. 装好后重新双击运行本文件“安装.cmd”。
echo   也可以把 python-3.12.10-amd64.exe 放进本文件夹，再运行本文件，它会自动安装 Python。
>>"%LOG%" echo 没有找到可用的 Python 3.12 或 3.11（64 位）。
goto failed

:in_use
echo.
echo 原来安装的 duban 正在使用中（Excel 的“刷新台账”按钮、计划任务或命令行窗口）。
echo 请关闭 Excel 和正在运行的 duban 后重新运行本程序；原来的安装保持不变。
>>"%LOG%" echo 原安装正在使用中，未改动。
goto failed

:restore_old
rem Put the environment that worked back in place of the one that failed.
if not exist "%OLD%" exit /b 0
if exist "%VENV%" rmdir /s /q "%VENV%"
ren "%OLD%" "venv" >>"%LOG%" 2>&1
echo 已恢复原来安装的 duban。
exit /b 0

:not_unpacked
echo.
echo 找不到 wheels 文件夹：请先把压缩包全部解压（右键“全部解压缩”），
echo 再运行解压后文件夹中的“安装.cmd”。
goto failed_without_log

:no_appdata
echo.
echo 找不到当前用户的 LOCALAPPDATA 文件夹，无法安装。请用使用台账的员工本人的账号登录后再运行。
goto failed_without_log

:no_home
echo.
echo 无法建立安装文件夹 "%DUBAN_HOME%"，请检查该位置是否可写。
goto failed_without_log

:bad_bundle
echo.
echo 安装包不完整或已损坏：请从原来的 U 盘或压缩包重新拷贝整个文件夹后再运行。
>>"%LOG%" echo 安装包校验未通过。
goto failed

:no_venv
echo.
echo 无法建立 Python 环境 "%VENV%"，详细原因在安装日志的最后几行。
call :restore_old
goto failed

:pip_failed
echo.
echo 安装 duban 时出错，详细原因在安装日志的最后几行。
call :restore_old
goto failed

:failed
echo.
echo 安装没有完成。安装日志："%LOG%"
if not defined DUBAN_NO_PAUSE start "" notepad "%LOG%"
:failed_without_log
if not defined DUBAN_NO_PAUSE pause
exit /b 1

:finish
if not defined DUBAN_NO_PAUSE pause
exit /b 0
