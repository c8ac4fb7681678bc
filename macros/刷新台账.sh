#!/bin/sh
# 刷新台账：对已关闭（或刚保存并关闭）的台账运行 duban refresh，完成后重新打开。
# 用法：刷新台账.sh [台账文件]   不带参数时刷新本脚本所在文件夹中的 督查台账.xlsm（或 .xlsx）。
# 台账仍被 WPS/Excel 打开时（锁文件未消失）每 2 秒重试一次，最多 60 秒。
here=$(cd "$(dirname "$0")" && pwd)
ledger=$1
if [ -z "$ledger" ]; then
    for name in 督查台账.xlsm 督查台账.xlsx; do
        if [ -f "$here/$name" ]; then ledger="$here/$name"; break; fi
    done
fi
if [ -z "$ledger" ] || [ ! -f "$ledger" ]; then
    echo "找不到台账文件，请把本脚本放在台账所在文件夹，或在命令后写出台账文件路径。"
    printf '按回车键关闭……'; read -r _; exit 2
fi
duban=${DUBAN:-duban}
[ -x "$here/.venv/bin/duban" ] && duban="$here/.venv/bin/duban"
tries=0
while :; do
    "$duban" refresh "$ledger"
    code=$?
    # 3 = 台账正被打开或刚被改动：等对方关闭后重试
    if [ "$code" -ne 3 ] || [ "$tries" -ge 30 ]; then break; fi
    tries=$((tries + 1)); sleep 2
done
if [ "$code" -ne 0 ]; then
    echo "刷新没有完成（退出码 $code），请按上面的提示处理后再试。"
    printf '按回车键关闭……'; read -r _; exit "$code"
fi
# 重新打开台账：优先用 WPS 表格（et），否则用系统默认程序（设了 DUBAN_NO_REOPEN 则不打开）
[ -n "$DUBAN_NO_REOPEN" ] && exit 0
if command -v et >/dev/null 2>&1; then
    nohup et "$ledger" >/dev/null 2>&1 &
elif command -v xdg-open >/dev/null 2>&1; then
    nohup xdg-open "$ledger" >/dev/null 2>&1 &
fi
