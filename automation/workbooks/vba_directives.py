"""Resolve VBA conditional compilation (#If ... #End If) whose outcome is known in advance.

LibreOffice runs a workbook's VBA project in its compatibility mode, but its Basic
compiler skips ``#If``/``#Else``/``#End If`` lines and compiles every branch. xlwings'
module declares some functions once per host (``#If App = "Microsoft Excel"`` /
``#Else``) and opens an ``If`` differently on Mac and on Windows, so LibreOffice cannot
compile it; and one module that does not compile stops every macro of the project, the
刷新台账 button included (LibreOffice compiles all modules of a library before it runs one).

The button's xlwings route serves Microsoft Excel on Windows only, where ``App`` is
"Microsoft Excel" (a ``#Const`` of the module itself) and ``Mac`` is False. Choosing
those branches here is what VBA itself does when it compiles the module there; the
directives that still vary between Windows hosts (``VBA7``, ``Win64``, ...) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from automation.errors import TemplateError

# The conditions decided in advance, and their values in Excel for Windows.
WINDOWS_EXCEL: dict[str, object] = {"app": "Microsoft Excel", "mac": False}

_DIRECTIVE = re.compile(
    r"^\s*#(?P<kw>If|ElseIf|Else|End\s*If)\b(?P<cond>.*?)(?:\bThen\b)?\s*(?:'.*)?$",
    re.IGNORECASE,
)
_APP = re.compile(r'App\s*=\s*"([^"]*)"', re.IGNORECASE)
_MAC = re.compile(r"(Not\s+)?Mac", re.IGNORECASE)


def decide(condition: str, known: dict[str, object] = WINDOWS_EXCEL) -> bool | None:
    """Return a directive condition's value when ``known`` decides it, else None."""
    text = condition.strip()
    if m := _APP.fullmatch(text):
        return m.group(1) == known["app"]
    if m := _MAC.fullmatch(text):
        return bool(m.group(1)) != bool(known["mac"])
    return None


@dataclass
class _Branch:
    directive: str  # the #If / #ElseIf / #Else line as written
    condition: str | None  # None for #Else
    body: list = field(default_factory=list)  # str lines and nested _Chain


@dataclass
class _Chain:
    branches: list[_Branch]
    end: str = ""  # the #End If line


def resolve(source: str, known: dict[str, object] = WINDOWS_EXCEL, *, module: str = "") -> str:
    """Return the source with each #If chain that ``known`` decides replaced by its taken branch.

    VBA takes the first branch whose condition is true. A chain is replaced when every
    condition before that branch is decided; otherwise it stays as written (its nested
    chains still resolved). Every other line is kept verbatim and in order.
    """
    return "".join(_emit(_parse(source, module), known))


def _parse(source: str, module: str) -> list:
    top: list = []
    open_chains: list[_Chain] = []

    def body() -> list:
        return open_chains[-1].branches[-1].body if open_chains else top

    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        m = _DIRECTIVE.match(line)
        if m is None:
            body().append(line)
            continue
        kw = re.sub(r"\s+", "", m.group("kw")).lower()
        if kw == "if":
            chain = _Chain([_Branch(line, m.group("cond"))])
            body().append(chain)
            open_chains.append(chain)
        elif not open_chains:
            raise _unbalanced(module, number, line)
        elif kw == "endif":
            open_chains.pop().end = line
        else:
            open_chains[-1].branches.append(
                _Branch(line, m.group("cond") if kw == "elseif" else None)
            )
    if open_chains:
        raise _unbalanced(module, "末尾", open_chains[-1].branches[0].directive)
    return top


def _emit(nodes: list, known: dict[str, object]):
    for node in nodes:
        if isinstance(node, str):
            yield node
            continue
        taken = _taken_branch(node, known)
        if taken is not None:
            yield from _emit(taken.body, known)
        elif not _all_decided_false(node, known):  # else no branch is taken: nothing to emit
            for branch in node.branches:
                yield branch.directive
                yield from _emit(branch.body, known)
            yield node.end


def _taken_branch(chain: _Chain, known: dict[str, object]) -> _Branch | None:
    """Return the branch VBA takes when the conditions before it are decided, else None."""
    for branch in chain.branches:
        value = True if branch.condition is None else decide(branch.condition, known)
        if value is None:
            return None
        if value:
            return branch
    return None


def _all_decided_false(chain: _Chain, known: dict[str, object]) -> bool:
    return all(
        b.condition is not None and decide(b.condition, known) is False for b in chain.branches
    )


def _unbalanced(module: str, where: object, line: str) -> TemplateError:
    return TemplateError(
        f"宏模块 {module} 第 {where} 行：条件编译 #If/#End If 不配对（{line.strip()}）",
        "请重新安装与 duban 配套的 xlwings 版本",
    )
