#!/bin/sh
# shellcheck disable=SC1111 # “” are Chinese quotation marks in messages, not shell quotes
# 刷新台账：等台账关闭后运行 duban refresh --letters，显示结果，再重新打开台账。
# 用法：sh 刷新台账.sh [台账文件]
#   不带参数时刷新本脚本所在文件夹中的 督查台账.xlsm（或 .xlsx）。
#   台账中的“刷新台账”按钮（LibreOffice、WPS）会先保存并关闭台账，再调用本脚本。
#   台账仍被 LibreOffice、WPS 或 Excel 打开（锁文件还在）时最多等 60 秒。
#   每次运行的输出记入台账所在文件夹的 .duban/logs/button.log，结果在桌面弹出提示。
# 环境变量：DUBAN          duban 程序的路径（默认依次找：台账文件夹的 .venv、PATH、
#                          ~/.local/share/duban/venv，即 install.sh 的安装位置）
#           DUBAN_NO_REOPEN=1  完成后不重新打开台账
#           DUBAN_WAIT_SECONDS 等台账关闭的最长秒数（默认 60）
# 退出码：0 完成；2 找不到台账；3 台账一直被打开；127 找不到 duban；其他为 duban refresh 的退出码。

# The office suite that started us may quit before we are done: ignore its hangup.
trap '' HUP

TITLE="督办台账：刷新台账"
here=$(cd "$(dirname "$0")" && pwd)

ledger=$1
if [ -z "$ledger" ]; then
    for name in 督查台账.xlsm 督查台账.xlsx; do
        if [ -f "$here/$name" ]; then ledger="$here/$name"; break; fi
    done
fi
case $ledger in
    "" | /*) ;;
    *) ledger="$PWD/$ledger" ;;
esac
if [ -f "$ledger" ]; then
    folder=$(dirname "$ledger")
    name=$(basename "$ledger")
else # nothing to refresh: the log goes beside this script
    folder=$here
fi

# --- log and messages -------------------------------------------------------------------

log="$folder/.duban/logs/button.log"
if ! mkdir -p "$folder/.duban/logs" 2>/dev/null || ! : >>"$log" 2>/dev/null; then
    log="${TMPDIR:-/tmp}/duban-button-$(id -u).log"
fi

note() { # a line for the terminal and the log
    printf '%s\n' "$1"
    printf '%s\n' "$1" >>"$log"
}

graphical() { [ -n "$DISPLAY" ] || [ -n "$WAYLAND_DISPLAY" ]; }

# show info|error TEXT: a desktop notification or dialog, when there is a desktop.
show() {
    graphical || return 0
    if [ "$1" = info ] && command -v notify-send >/dev/null 2>&1; then
        notify-send -a duban -i x-office-spreadsheet "$TITLE" "$2" >/dev/null 2>&1 && return 0
    fi
    if command -v zenity >/dev/null 2>&1; then
        nohup zenity "--$1" --title="$TITLE" --no-wrap --text="$2" >/dev/null 2>&1 &
    elif command -v kdialog >/dev/null 2>&1; then
        if [ "$1" = info ]; then kind=--msgbox; else kind=--error; fi
        nohup kdialog --title "$TITLE" "$kind" "$2" >/dev/null 2>&1 &
    elif command -v notify-send >/dev/null 2>&1; then
        notify-send -a duban -u critical "$TITLE" "$2" >/dev/null 2>&1
    elif command -v xmessage >/dev/null 2>&1; then
        nohup xmessage -center -title "$TITLE" "$2" >/dev/null 2>&1 &
    fi
}

# finish CODE TEXT: report the outcome everywhere and end.
finish() {
    if [ "$1" -eq 0 ]; then show info "$2"; else show error "$2"; fi
    note "==== 结束（退出码 $1）"
    if [ -t 0 ] && [ -t 1 ]; then # started from a terminal (the .desktop file): let it be read
        printf '按回车键关闭……'
        read -r _
    fi
    exit "$1"
}

reopen() {
    [ "$DUBAN_NO_REOPEN" = 1 ] && return 0
    # The suite that had the workbook open opens it again; otherwise the desktop's default.
    case $suite in
        libreoffice) candidates="soffice libreoffice xdg-open et" ;;
        wps) candidates="et wps xdg-open soffice libreoffice" ;;
        *) candidates="xdg-open et soffice libreoffice open" ;;
    esac
    for program in $candidates; do
        if command -v "$program" >/dev/null 2>&1; then
            nohup "$program" "$ledger" >/dev/null 2>&1 &
            return 0
        fi
    done
    note "没有找到可以打开台账的程序，请手动打开：$ledger"
}

printf '==== %s 刷新台账：%s\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$ledger" >>"$log"

if [ -z "$ledger" ] || [ ! -f "$ledger" ]; then
    note "找不到台账文件${ledger:+“$ledger”}：请把本脚本放在台账所在文件夹，或在命令后写出台账文件路径。"
    finish 2 "找不到台账文件，没有刷新。详见 $log"
fi

# --- wait until no office suite has the workbook open -------------------------------------

# Excel shortens a long name's lock file by its first two characters (督查台账 -> ~$台账).
short=$(printf '%s' "$name" | LC_ALL=C.UTF-8 sed 's/^..//' 2>/dev/null)
lock_of() { # print the first lock file that exists
    for lock in "$folder/.~lock.$name#" "$folder/~\$$name" "$folder/.~$name" ${short:+"$folder/~\$$short"}; do
        if [ -e "$lock" ]; then
            printf '%s' "$lock"
            return 0
        fi
    done
    return 1
}

suite=
wait_seconds=${DUBAN_WAIT_SECONDS:-60}
waited=0
told=
while lock=$(lock_of); do
    if [ "$waited" -ge "$wait_seconds" ]; then
        note "台账仍被打开（锁文件“$lock”还在），等了 $waited 秒仍未关闭，没有刷新。"
        note "请在 LibreOffice、WPS 或 Excel 中关闭台账（其他电脑上打开的也要关闭）后再试；"
        note "如果确认没有人打开台账，删除这个锁文件后再试。"
        finish 3 "台账仍被打开，没有刷新：请关闭台账后再试。详见 $log"
    fi
    if [ -z "$told" ]; then
        note "台账正在被打开（$lock），等它关闭……"
        told=1
    fi
    # The suite that had it open is the one to open it again.
    case ${lock##*/} in
        .~lock.*) suite=libreoffice ;;
        *) suite=wps ;;
    esac
    sleep 1
    waited=$((waited + 1))
done

# --- find duban ---------------------------------------------------------------------------

find_duban() {
    if [ -n "$DUBAN" ]; then
        printf '%s' "$DUBAN"
        return 0
    fi
    for candidate in "$folder/.venv/bin/duban" "$here/.venv/bin/duban"; do
        if [ -x "$candidate" ]; then
            printf '%s' "$candidate"
            return 0
        fi
    done
    if command -v duban >/dev/null 2>&1; then
        command -v duban
        return 0
    fi
    candidate="${XDG_DATA_HOME:-$HOME/.local/share}/duban/venv/bin/duban"
    if [ -x "$candidate" ]; then
        printf '%s' "$candidate"
        return 0
    fi
    return 1
}

if ! duban=$(find_duban) || ! [ -x "$duban" ]; then
    note "找不到 duban 程序${duban:+（“$duban”不存在或不能运行）}，没有刷新。"
    note "请先安装 duban（运行安装包中的 install.sh），或把 duban 装在台账文件夹的 .venv 中，"
    note "或设置环境变量 DUBAN 为 duban 程序的完整路径。"
    reopen
    finish 127 "找不到 duban 程序，没有刷新：请先安装 duban。详见 $log"
fi

# --- refresh ------------------------------------------------------------------------------

output=$(mktemp "${TMPDIR:-/tmp}/duban-button.XXXXXX")
tries=0
while :; do
    "$duban" refresh --letters "$ledger" >"$output" 2>&1
    code=$?
    cat "$output"
    cat "$output" >>"$log"
    # 3: the workbook was opened or changed meanwhile (duban's own check): wait and retry.
    if [ "$code" -ne 3 ] || [ "$tries" -ge 10 ]; then break; fi
    tries=$((tries + 1))
    sleep 2
done
summary=$(grep -v '^输出：' "$output" | head -n 12)
rm -f "$output"
reopen
if [ "$code" -ne 0 ]; then
    note "刷新没有完成（退出码 $code），请按上面的提示处理后再试。"
    finish "$code" "刷新没有完成：
$summary
详见 $log"
fi
finish 0 "台账已刷新：
$summary"
