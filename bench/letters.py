"""Benchmark rendering 催办函: duban's compile-once renderer vs docxtpl re-opening the template.

Both render the same N letters (each to a unit with five overdue items) from
templates/催办函.docx and write each .docx to a temp folder:

- ours:    ``docx_render.LetterTemplate`` — the template is read, patched and compiled
           once; each letter is one Jinja2 render of word/document.xml plus a zip write;
- docxtpl: ``DocxTemplate(path).render(context, env); save(file)`` per letter, the usual
           way to mail-merge with docxtpl (the template is re-read and re-parsed each time).

Usage: python bench/letters.py [N]     (default: 1000)
Target: at least 100 letters/s for ours.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automation.letters.docx_render import TEMPLATE_DIR, LetterTemplate  # noqa: E402

TEMPLATE = TEMPLATE_DIR / "催办函.docx"


def context(i: int) -> dict:
    """Return the values of letter i: one unit, five overdue items."""
    items = [
        {
            "no": n,
            "id": f"DB-2026-{i * 5 + n:04d}",
            "content": f"推进第{n}批老旧小区改造，完成雨污分流和外墙保温工程（含“{{{{ 原文 }}}}”等字样）",
            "deadline": "2026年10月31日",
            "days_overdue": 3 + n,
            "prior_reminders": n % 3,
        }
        for n in range(1, 6)
    ]
    return {
        "office": "XX县人民政府督查室",
        "doc_no": f"催办〔2026〕{i + 1}号",
        "unit": f"县第{i % 30 + 1}局",
        "date_cn": "2026年11月20日",
        "reply_by": "2026年11月25日",
        "contact": "周敏",
        "phone": "0370-5551234",
        "cc": "刘卫东同志",
        "items": items,
    }


def ours(n: int, outdir: Path) -> float:
    """Render n letters with the compile-once renderer; return seconds."""
    started = time.perf_counter()
    template = LetterTemplate(TEMPLATE)
    for i in range(n):
        (outdir / f"ours-{i}.docx").write_bytes(template.render(context(i)))
    return time.perf_counter() - started


def docxtpl_per_letter(n: int, outdir: Path) -> float:
    """Render n letters opening the template with docxtpl for each; return seconds."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    started = time.perf_counter()
    for i in range(n):
        doc = DocxTemplate(str(TEMPLATE))
        doc.render(context(i), env)
        doc.save(str(outdir / f"docxtpl-{i}.docx"))
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="duban-bench-letters-") as tmp:
        out = Path(tmp)
        t_ours = ours(n, out)
        t_docxtpl = docxtpl_per_letter(n, out)
    print(f"{n} 催办函（每份 5 项事项）")
    print(f"  duban（模板编译一次）：{t_ours:6.2f} 秒，{n / t_ours:7.1f} 份/秒")
    print(f"  docxtpl（每份重开模板）：{t_docxtpl:6.2f} 秒，{n / t_docxtpl:7.1f} 份/秒")
    print(f"  速度比：{t_docxtpl / t_ours:.1f} 倍")


if __name__ == "__main__":
    main()
