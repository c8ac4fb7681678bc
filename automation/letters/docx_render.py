"""Render letters from .docx templates fast: parse and compile each template once, render many.

docxtpl prepares the template (its ``patch_xml`` turns tags split across runs and the
``{%p %}``/``{%tr %}`` forms into plain Jinja2); the compiled Jinja2 template is kept, and
each letter is that template rendered with the letter's values, written with the
template's other parts into a new .docx. That is docxtpl's own render path minus
re-reading and re-parsing the template for every letter (see bench/letters.py).

Ledger text is data: values go in as context and are XML-escaped (autoescape), never
into template source, so a 事项内容 containing ``{{ }}`` or ``{% %}`` prints literally.
Undefined names fail loudly (StrictUndefined) as a TemplateError naming file and tag.
Every value passes ``safetext.printable`` on its way in: a control character pasted into a
cell would make the document one Word and LibreOffice refuse to open.

A letter renders final (as issued) or as a 送审稿 (``render(..., draft=True)``): the draft
has ``送审稿`` in the header of every page and its 文号 with the number left blank
(``督办〔2026〕 号``), whatever template it comes from; its own headers are set aside.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import jinja2
import markupsafe

from automation import paths
from automation.errors import TemplateError, WriteFailed
from automation.letters.docnumber import blank_number
from automation.resources import TEMPLATE_DIR
from automation.safetext import printable

SOFFICE_TIMEOUT = 600
_RENDERED_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_STAMP = (1980, 1, 1, 0, 0, 0)  # as Word writes it: no clock in the package
_BREAKS_IN_TEXT = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\n\t]")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")

DRAFT_MARK = "送审稿"
_DOCUMENT = "word/document.xml"
_DRAFT_HEADER = "word/duban-draft-header.xml"
_DRAFT_REL = "rIdDubanDraft"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEADER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
_HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_HEADER_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr xmlns:w="{_W}"><w:p>'
    '<w:pPr><w:jc w:val="right"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="黑体" w:hAnsi="黑体" '
    'w:eastAsia="黑体" w:cs="黑体"/><w:b/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr>'
    f"<w:t>{DRAFT_MARK}</w:t></w:r></w:p></w:hdr>"
)
_SECTION = re.compile(r"<w:sectPr(?:\s[^>]*)?>")
_HEADER_REF = re.compile(r"<w:headerReference\b[^>]*/>")


def find_template(name: str, ledger: Path | None = None) -> Path:
    """Return the template file: the office's copy in 模板/ beside the ledger if any, else the built-in."""
    candidates = [paths.templates_folder(ledger) / name] if ledger else []
    candidates.append(TEMPLATE_DIR / name)
    for path in candidates:
        if path.is_file():
            return path
    raise TemplateError(
        f"找不到文书模板“{name}”",
        f"请把模板放到 {candidates[0].parent}，或运行 python scripts/make_templates.py 重新生成",
        path=str(candidates[0]),
    )


class LetterTemplate:
    """One .docx template, read and compiled once; ``render`` makes one letter's bytes."""

    def __init__(self, path: Path):
        from docxtpl import DocxTemplate  # python-docx and lxml: only when a letter is written

        self.path = Path(path)
        self._env = jinja2.Environment(
            undefined=jinja2.StrictUndefined, autoescape=True, finalize=_representable
        )
        try:
            with zipfile.ZipFile(self.path) as z:
                self._members = [(info, z.read(info)) for info in z.infolist()]
            prepare = DocxTemplate(str(self.path))
            prepare.init_docx()
        except (OSError, zipfile.BadZipFile, KeyError, ValueError) as e:
            raise TemplateError(
                f"文书模板“{self.path.name}”无法打开（{e}）",
                "请确认它是 Word 的 .docx 文件；损坏时可运行 python scripts/make_templates.py 重新生成",
                path=str(self.path),
            ) from e
        self._resolve_listing = prepare.resolve_listing
        self._compiled: dict[str, tuple[jinja2.Template, str]] = {}
        for info, data in self._members:
            if _RENDERED_PARTS.fullmatch(info.filename) and b"{" in data:
                source = prepare.patch_xml(data.decode("utf-8"))
                if "{{" not in source and "{%" not in source:
                    continue
                source = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
                self._compiled[info.filename] = (self._compile(source), source)
        # The parts no letter changes are compressed once; each letter appends its own.
        base = io.BytesIO()
        with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as z:
            for info, data in self._members:
                if info.filename not in self._compiled:
                    z.writestr(info, data)
        self._base = base.getvalue()
        self._draft: tuple[dict[str, tuple[jinja2.Template, str]], bytes] | None = None

    def _compile(self, source: str) -> jinja2.Template:
        try:
            return self._env.from_string(source)
        except jinja2.TemplateSyntaxError as e:
            raise TemplateError(
                f"文书模板“{self.path.name}”中的标签 {_tag_at(source, e.lineno)} 有语法错误（{e.message}）",
                "请在 Word 中打开模板，检查 {{ }} 和 {% %} 标签是否成对、拼写是否正确",
                path=str(self.path),
            ) from e

    def render(self, context: Mapping[str, object], *, draft: bool = False) -> bytes:
        """Render one letter and return the .docx bytes; ``draft``: as a 送审稿 (see above)."""
        compiled, base = self._compiled, self._base
        if draft:
            compiled, base = self._draft_parts()
            context = {**context, "doc_no": blank_number(str(context.get("doc_no", "")))}
        parts = {}
        for name, (template, source) in compiled.items():
            try:
                xml = template.render(context)
            except jinja2.UndefinedError as e:
                raise TemplateError(
                    f"文书模板“{self.path.name}”中的标签 {_undefined_tag(source, e)} 引用了不存在的字段（{e.message}）",
                    "请在 Word 中打开模板，把该标签改为 docs/letters.md 列出的字段名",
                    path=str(self.path),
                ) from e
            except jinja2.TemplateError as e:
                raise TemplateError(
                    f"文书模板“{self.path.name}”渲染失败（{e}）",
                    "请在 Word 中打开模板检查 {{ }} 和 {% %} 标签",
                    path=str(self.path),
                ) from e
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
            xml = (
                xml.replace("{_{", "{{")
                .replace("}_}", "}}")
                .replace("{_%", "{%")
                .replace("%_}", "%}")
            )
            if _BREAKS_IN_TEXT.search(xml):  # a value with line breaks or tabs
                xml = self._resolve_listing(xml)
            parts[name] = xml.encode("utf-8")
        out = io.BytesIO(base)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(zipfile.ZipInfo(name, _STAMP), data, zipfile.ZIP_DEFLATED)
        return out.getvalue()

    def _draft_parts(self) -> tuple[dict[str, tuple[jinja2.Template, str]], bytes]:
        """Return the compiled parts and the base package of the 送审稿 form (built once)."""
        if self._draft is None:
            members = dict((info.filename, data) for info, data in self._members)
            compiled = dict(self._compiled)
            _, source = compiled.get(_DOCUMENT) or (None, members[_DOCUMENT].decode("utf-8"))
            source = _HEADER_REF.sub("", source)
            refs = "".join(
                f'<w:headerReference xmlns:r="{_R}" w:type="{kind}" r:id="{_DRAFT_REL}"/>'
                for kind in ("default", "even", "first")
            )
            source = _SECTION.sub(lambda m: m.group(0) + refs, source)
            compiled[_DOCUMENT] = (self._compile(source), source)
            extra = {
                _DRAFT_HEADER: _HEADER_XML.encode("utf-8"),
                "[Content_Types].xml": _with_draft_type(members["[Content_Types].xml"]),
                "word/_rels/document.xml.rels": _with_draft_rel(
                    members["word/_rels/document.xml.rels"]
                ),
            }
            base = io.BytesIO()
            with zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as z:
                for info, data in self._members:
                    if info.filename not in compiled and info.filename not in extra:
                        z.writestr(info, data)
                for name, data in extra.items():
                    z.writestr(zipfile.ZipInfo(name, _STAMP), data, zipfile.ZIP_DEFLATED)
            self._draft = (compiled, base.getvalue())
        return self._draft


def _with_draft_type(xml: bytes) -> bytes:
    """Declare the draft header part in [Content_Types].xml."""
    entry = f'<Override PartName="/{_DRAFT_HEADER}" ContentType="{_HEADER_TYPE}"/>'
    return xml.replace(b"</Types>", entry.encode("utf-8") + b"</Types>")


def _with_draft_rel(xml: bytes) -> bytes:
    """Add the draft header to the document's relationships."""
    target = _DRAFT_HEADER.removeprefix("word/")
    entry = f'<Relationship Id="{_DRAFT_REL}" Type="{_HEADER_REL}" Target="{target}"/>'
    return xml.replace(b"</Relationships>", entry.encode("utf-8") + b"</Relationships>")


def _tag_at(source: str, lineno: int | None) -> str:
    """Return the Jinja tag on (or near) a source line, for error messages."""
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return "（位置未知）"
    text = re.sub(r"<[^>]+>", "", lines[lineno - 1])
    tags = _TAG.findall(text) or [t for t in re.findall(r"\{[{%].*", text)]
    return "、".join(dict.fromkeys(tags)) if tags else text.strip()[:60] or "（位置未知）"


def _undefined_tag(source: str, error: jinja2.UndefinedError) -> str:
    """Return the tags mentioning the undefined name from a StrictUndefined message."""
    m = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", error.message or "")
    name = (m.group(1) or m.group(2)) if m else ""
    text = re.sub(r"<[^>]+>", "", source)
    tags = [t for t in _TAG.findall(text) if name and re.search(rf"\b{re.escape(name)}\b", t)]
    return "、".join(dict.fromkeys(tags)) if tags else (name or "（位置未知）")


def _representable(value: object) -> object:
    """Return a value as a letter can carry it: no control characters, CR/CRLF as line breaks."""
    if isinstance(value, str):
        text = printable(value).replace("\r\n", "\n").replace("\r", "\n")
        return markupsafe.Markup(text) if isinstance(value, markupsafe.Markup) else text
    return value


def letter_prefix(unit: str, letter_type: str) -> str:
    """Return how a unit's letters of one type are named before the 文号: ``<unit>-<type>-``.

    Its 送审稿 share it too (drafts.py), so a unit's letters sort together in a folder.
    """
    return f"{paths.safe_filename(unit)}-{paths.safe_filename(letter_type)}-"


def letter_path(ledger: Path, day: date, letter_type: str, unit: str, doc_no: str) -> Path:
    """Return ``输出/<date>/<type>/<unit>-<type>-<文号>.docx`` beside the ledger."""
    name = f"{letter_prefix(unit, letter_type)}{paths.safe_filename(doc_no)}.docx"
    return paths.day_folder(ledger, day, letter_type) / name


def write_letter(path: Path, data: bytes) -> None:
    """Write a rendered letter, creating its folder; an OS failure becomes WriteFailed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as e:
        raise WriteFailed(
            f"无法写入文书（{e.strerror or e}）",
            "请检查输出文件夹是否可写、磁盘是否已满",
            path=str(path),
        ) from e


def soffice() -> str | None:
    """Return the LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(paths: Iterable[Path]) -> list[Path]:
    """Convert .docx letters to PDF beside them with one headless LibreOffice run (private profile)."""
    files = [Path(p) for p in paths]
    program = soffice()
    if program is None:
        raise WriteFailed(
            "未安装 LibreOffice，无法生成 PDF（Word 文书已生成）",
            "请安装 LibreOffice（https://zh-cn.libreoffice.org）后重试，或用 Word/WPS 打开文书另存为 PDF",
        )
    made = []
    with tempfile.TemporaryDirectory(prefix="duban-lo-") as tmp:
        profile, outdir = Path(tmp) / "profile", Path(tmp) / "pdf"
        command = [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, files),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=SOFFICE_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise WriteFailed(
                f"LibreOffice 转换 PDF 失败（{e}）", "请确认 LibreOffice 可以正常启动后重试"
            ) from e
        for f in files:
            pdf = outdir / f"{f.stem}.pdf"
            if not pdf.exists():
                raise WriteFailed(
                    "LibreOffice 未能生成 PDF",
                    "请用 LibreOffice 或 Word 打开该文书检查后重试",
                    path=str(f),
                )
            made.append(Path(shutil.move(pdf, f.with_suffix(".pdf"))))
    return made
