"""One exception family for everything duban refuses to do, carrying where and how to fix it.

The CLI turns these into a Chinese message and an exit code; nothing else prints tracebacks.
"""

from __future__ import annotations


class DubanError(Exception):
    """A problem the user can fix: what is wrong, where (file/sheet/cell), and how to fix it."""

    exit_code = 1

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
