#!/bin/sh
# duban @VERSION@ 离线安装程序（Linux x86_64 / aarch64，如统信 UOS、银河麒麟等信创桌面）。
# 说明见同一文件夹中的“安装说明.txt”。装到当前用户的 ~/.local/share/duban：不需要 root，不联网。
# 用法：sh install.sh [台账文件]          带上台账文件时，桌面上的“刷新台账”固定刷新这本台账。
# 指定 Python：PYTHON=/opt/python3.12/bin/python3 sh install.sh
# shellcheck disable=SC1111,SC2015,SC2016  # Chinese quotation marks; a && b || fail; literal $HOME
set -u

here=$(cd "$(dirname "$0")" && pwd)
version=@VERSION@
home_dir=${XDG_DATA_HOME:-$HOME/.local/share}/duban
venv=$home_dir/venv
bin_dir=$HOME/.local/bin
log=$home_dir/安装日志.txt
ledger=${1:-}

# pip must use this folder's wheels only: no index, no pip.conf of this PC, no questions.
export PIP_CONFIG_FILE=/dev/null PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PYTHONHOME PYTHONPATH
export DUBAN_LOG="$log"  # tools/install_helper.py appends what it says here too

say() {  # each argument is a line, on the screen and in the log
    for line in "$@"; do
        printf '%s\n' "$line"
        printf '%s\n' "$line" >>"$log"
    done
}
fail() {
    say "" "$@"
    say "安装没有完成。安装日志：$log"
    exit 1
}

echo ""
echo "==== 安装 duban $version（督办台账自动化）===="
if ! ls "$here"/wheels/*.whl >/dev/null 2>&1; then
    echo "找不到 wheels 文件夹：请先把压缩包全部解压，再运行解压后文件夹中的 install.sh。"
    exit 1
fi
mkdir -p "$home_dir" || { echo "无法建立安装文件夹 $home_dir，请检查该位置是否可写。"; exit 1; }
printf '\n==== duban %s 安装 %s ====\n安装包：%s\n' "$version" "$(date '+%F %T')" "$here" >>"$log"

say "[1/5] 查找 Python（3.12 或 3.11）……"
check='import platform, sys
libc, glibc = platform.libc_ver()
def version(text): return tuple(int(x) for x in text.split(".")[:2])
new_enough = libc == "glibc" and version(glibc) >= version("@GLIBC@")
ok = sys.version_info[:2] in ((3, 11), (3, 12)) and platform.machine() in ("x86_64", "aarch64")
print(sys.executable if ok and new_enough else "")'
py=
use_if_suitable() {  # set py to the interpreter $1 starts, if duban's wheels fit it
    found=$("$1" -c "$check" 2>/dev/null) && [ -n "$found" ] && py=$found
}
if [ -n "${PYTHON:-}" ]; then
    use_if_suitable "$PYTHON"
else
    for candidate in python3.12 python3.11 python3; do
        use_if_suitable "$candidate" && break
    done
fi
if [ -z "$py" ]; then
    fail "没有找到可用的 Python。duban 需要 Python 3.12 或 3.11（x86_64 或 aarch64，glibc @GLIBC@ 或更新）。" \
        "统信 UOS 20、麒麟 V10 自带的 Python 3.7/3.8 太旧：请按“安装说明.txt”第三节准备 Python 3.12，" \
        "再运行：PYTHON=Python 的完整路径 sh install.sh"
fi
say "      使用 $py"

say "[2/5] 核对安装包文件……"
"$py" "$here/tools/install_helper.py" verify "$here" ||
    fail "安装包不完整或已损坏：请重新拷贝整个安装包后再运行。"

say "[3/5] 建立 duban 专用的 Python 环境……"
# The installed environment is set aside, not deleted, until the new one works.
old=$venv-old
restore_old() {
    if [ -d "$old" ]; then rm -rf "$venv" && mv "$old" "$venv" && say "已恢复原来安装的 duban。"; fi
}
rm -rf "$old"
if [ -d "$venv" ]; then mv "$venv" "$old" || fail "无法移动原来的安装 $venv。"; fi
"$py" -m venv --without-pip "$venv" >>"$log" 2>&1 || {
    restore_old
    fail "无法建立 Python 环境 $venv（详细原因见安装日志）。"
}

say "[4/5] 安装 duban $version 及其依赖（不联网，约需一两分钟）……"
for pip_wheel in "$here"/wheels/pip-*.whl; do :; done  # pip runs from its own wheel: no ensurepip needed
"$venv/bin/python" "$pip_wheel/pip" install --no-index --find-links "$here/wheels" pip "duban==$version" >>"$log" 2>&1 &&
    "$venv/bin/duban" --version >>"$log" 2>&1 || {
    restore_old
    fail "安装 duban 时出错，详细原因在安装日志的最后几行。"
}
rm -rf "$old"

say "[5/5] 设置 duban 命令和桌面快捷方式……"
mkdir -p "$bin_dir" && ln -sf "$venv/bin/duban" "$bin_dir/duban" && say "      已完成：duban 命令（$bin_dir/duban）"
case ":$PATH:" in
*":$bin_dir:"*) ;;
*)
    if ! grep -qs 'duban: ~/.local/bin' "$HOME/.profile"; then
        printf '\n# duban: ~/.local/bin on PATH\n[ -d "$HOME/.local/bin" ] && PATH="$HOME/.local/bin:$PATH"\n' >>"$HOME/.profile"
    fi
    say "      已把 $bin_dir 加入 ~/.profile 的 PATH：重新登录后可直接输入 duban"
    ;;
esac
macros=$("$venv/bin/python" -c 'from automation.resources import MACROS_DIR; print(MACROS_DIR)')
cp "$macros/刷新台账.sh" "$home_dir/刷新台账.sh" && chmod +x "$home_dir/刷新台账.sh"
desktop=$(xdg-user-dir DESKTOP 2>/dev/null) || desktop=
# xdg-user-dir answers $HOME itself when no desktop folder is configured
if [ -z "$desktop" ] || [ "$desktop" = "$HOME" ] || [ ! -d "$desktop" ]; then desktop=$HOME/Desktop; fi
if [ -n "$ledger" ]; then
    ledger=$(cd "$(dirname "$ledger")" 2>/dev/null && pwd)/$(basename "$ledger")
    [ -f "$ledger" ] || fail "找不到台账文件：$1"
fi
case "$home_dir$ledger" in
*[\"\`\$\\%]*) say "      未完成：桌面快捷方式（路径中有 \" \` \$ \\ % 等字符），请直接运行 $home_dir/刷新台账.sh 台账文件" ;;
*)
    if [ -d "$desktop" ]; then
        shortcut=$desktop/刷新台账.desktop
        if [ -n "$ledger" ]; then target="\"$ledger\""; else target=%f; fi
        cat >"$shortcut" <<EOF
[Desktop Entry]
Type=Application
Version=1.0
Name=刷新台账
Comment=用 duban 刷新督查台账（也可以把台账文件拖到这个图标上）
Exec=sh "$home_dir/刷新台账.sh" $target
Path=$home_dir
Terminal=true
Icon=x-office-spreadsheet
Categories=Office;
EOF
        chmod +x "$shortcut"
        command -v gio >/dev/null 2>&1 && gio set "$shortcut" metadata::trusted true 2>/dev/null
        say "      已完成：桌面快捷方式“刷新台账”（$shortcut）"
    else
        say "      未完成：桌面快捷方式（找不到桌面文件夹），请直接运行 $home_dir/刷新台账.sh 台账文件"
    fi
    ;;
esac

say "" "安装完成：duban $version 已装好。"
say "  - 命令：$bin_dir/duban，例如 duban init ~/督查室"
say "  - 桌面上的“刷新台账”：双击或把台账文件拖到它上面即可刷新（首次使用时右键选“允许运行”）。"
say "  - 安装日志：$log"
