"""One exception family for everything duban refuses to do, carrying where and how to fix it.

The CLI turns these into a Chinese message and an exit code; nothing else prints tracebacks.
The exit codes are the CLI contract (README, 退出码): 0 done, 1 `check` found problems,
2 the workbook cannot be read, 3 it is open or changed meanwhile, 4 writing failed,
5 a template is broken, 6 settings or duban.toml are invalid, 7 sending failed, 8 any other
refusal, 64 a usage error, 70 an unexpected internal error.
"""

from __future__ import annotations


class DubanError(Exception):
    """A problem the user can fix: what is wrong, where (file/sheet/cell), and how to fix it."""

    exit_code = 8

    def __init__(self, message: str, fix: str = "", *, path: str = "", where: str = ""):
        self.message = message
        self.fix = fix
        self.path = str(path) if path else ""
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"{self.where}：{self.message}" if self.where else self.message
        if self.path and self.path not in head:
            head = f"{head}（文件：{self.path}）"
        return f"{head}。{self.fix}" if self.fix else head


class UsageError(DubanError):
    """The command was called wrongly: an unknown option, a bad --today, an unknown --unit."""

    exit_code = 64


class LedgerUnreadable(DubanError):
    """The workbook cannot be read at all: missing, not a workbook, encrypted, broken."""

    exit_code = 2


class LedgerLocked(DubanError):
    """The workbook is open in Excel, WPS or LibreOffice; writing now would lose their edits."""

    exit_code = 3


class LedgerChanged(DubanError):
    """The workbook changed on disk between reading it and writing it back."""

    exit_code = 3


class WriteFailed(DubanError):
    """Writing the workbook or an output failed; the original is intact."""

    exit_code = 4


class TemplateError(DubanError):
    """A letter or mail template is broken: names the template file and the tag."""

    exit_code = 5


class ConfigError(DubanError):
    """Settings or the duban.toml config are missing or invalid."""

    exit_code = 6


class SendFailed(DubanError):
    """One or more messages could not be sent; the rest are recorded and a rerun resumes."""

    exit_code = 7
