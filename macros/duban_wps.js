/*
 * duban：WPS 表格 JS 宏（JSA）版“刷新台账”。
 * 用于没有 VBA 组件的 WPS（含信创 Linux 桌面上的 WPS）：保存并关闭台账，
 * 交给台账同一文件夹中的刷新程序（Windows 为“刷新台账.cmd”，Linux 为“刷新台账.sh”），
 * 它等台账关闭后运行 duban refresh --letters，弹出结果，再重新打开台账；
 * 每次运行的记录在台账文件夹的 .duban/logs/button.log 中。
 * 安装：WPS 表格 → 工具 → 开发工具 → WPS 宏编辑器，新建模块，粘贴本文件全部内容；
 * 再把按钮“刷新台账”的宏指定为 RefreshLedger（详见 docs/button.md）。
 */
var DUBAN_TITLE = "督办台账：刷新台账";

function RefreshLedger() {
    var book = ThisWorkbook;
    var folder = book.Path;
    if (!folder) {
        MsgBox("台账还没有保存为文件：请先保存到刷新程序所在的文件夹，再点“刷新台账”。", 48, DUBAN_TITLE);
        return;
    }
    var onWindows = folder.indexOf("\\") >= 0;
    var separator = onWindows ? "\\" : "/";
    var ledger = folder + separator + book.Name;
    var launcher = folder + separator + (onWindows ? "刷新台账.cmd" : "刷新台账.sh");
    if (Dir(launcher) === "") {
        MsgBox("找不到刷新程序“" + launcher + "”。请把 duban 生成的刷新程序（Windows 用“刷新台账.cmd”，" +
            "Linux 用“刷新台账.sh”）放回台账所在的文件夹。", 48, DUBAN_TITLE);
        return;
    }
    try {
        book.Save();
        var command = onWindows
            ? 'cmd /c ""' + launcher + '" "' + ledger + '""'
            : '/bin/sh "' + launcher + '" "' + ledger + '"';
        Shell(command, 1); // 1 = normal window, as VBA's vbNormalFocus
    } catch (e) {
        MsgBox("没能启动刷新：" + e + "。台账没有关闭；请先手动保存，关闭台账后双击同一文件夹中的刷新程序。",
            16, DUBAN_TITLE);
        return;
    }
    book.Close(false);
}
