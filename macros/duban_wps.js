/*
 * duban：WPS 表格 JS 宏（JSA）版“刷新台账”。
 * 用于没有安装 VBA 组件的 WPS（含信创 Linux 桌面上的 WPS）：保存并关闭台账，
 * 交给台账同一文件夹中的刷新程序（Windows 为“刷新台账.cmd”，Linux 为“刷新台账.sh”），
 * 它等台账关闭后运行 duban refresh，完成后重新打开台账。
 * 安装：WPS 表格 → 工具 → 开发工具 → WPS 宏编辑器，新建模块，粘贴本文件全部内容；
 * 再把按钮“刷新台账”的宏指定为 RefreshLedger（详见 docs/button.md）。
 */
function RefreshLedger() {
    var book = ThisWorkbook;
    var folder = book.Path;
    var onWindows = folder.indexOf("\\") >= 0;
    var separator = onWindows ? "\\" : "/";
    var launcher = folder + separator + (onWindows ? "刷新台账.cmd" : "刷新台账.sh");
    var ledger = book.FullName;
    book.Save();
    var command = onWindows
        ? 'cmd /c ""' + launcher + '" "' + ledger + '""'
        : 'sh "' + launcher + '" "' + ledger + '"';
    Shell(command, 1); // 1 = normal window, as VBA's vbNormalFocus
    book.Close(false);
}
