"""A platform-neutral group message: a title and paragraphs of spans, some typed by staff.

Staff text (事项内容, unit names, 编号, the office's name) is kept apart from our own
words so each platform can show it as plain text: on the markdown platforms (钉钉,
企业微信) ``plain()`` swaps every character their renderers act on for its full-width
twin, so ``**``, ``[x](javascript:…)``, ``<script>``, ``<@userid>`` and ``@all`` arrive as
the text that was typed and can neither format, link nor mention anyone. 飞书 posts carry
text in elements that are never parsed, so there staff text goes through exactly as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

KIND_FAILURE = "failure"
# Characters that 钉钉 / 企业微信 markdown (or their @-mention syntax) act on, each mapped to
# the full-width form a reader sees as the same character. Backslash escapes are not used:
# neither platform documents them, and a renderer that ignores them would still link.
_MARKUP = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "~": "～",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "@": "＠",
        "#": "＃",
        "&": "＆",
        "|": "｜",
        "\\": "＼",
    }
)


@dataclass(frozen=True)
class Span:
    """A run of text: ours (may be bold) or typed by staff (always shown as plain text)."""

    text: str
    bold: bool = False
    staff: bool = False


Paragraph = tuple[Span, ...]


def ours(text: str, *, bold: bool = False) -> Span:
    """Return a span of our own wording."""
    return Span(text, bold=bold)


def typed(text: object, *, bold: bool = False) -> Span:
    """Return a span of text staff typed into the workbook."""
    return Span(str(text), bold=bold, staff=True)


def one_line(text: str) -> str:
    """Collapse line breaks and runs of spaces, so typed text cannot start a line of markup."""
    return " ".join(text.split())


def plain(text: str) -> str:
    """Make typed text inert in markdown: one line, markup characters in full width."""
    return one_line(text).translate(_MARKUP)


@dataclass(frozen=True)
class Digest:
    """One message before any platform shapes it.

    ``head`` opens the first part and ``tail`` closes the last; ``body`` paragraphs are
    spread over as many parts as the platform's size limit needs. ``mobiles`` are
    @-mentioned where the platform allows it; ``nudge`` is the one-line text sent with
    the mention where mentions need a message of their own (企业微信).
    """

    kind: str
    unit: str
    title: Paragraph
    head: tuple[Paragraph, ...] = ()
    body: tuple[Paragraph, ...] = ()
    tail: tuple[Paragraph, ...] = ()
    mobiles: tuple[str, ...] = ()
    nudge: Paragraph = ()

    @property
    def title_text(self) -> str:
        """The title as typed (for logs, file names and plain-text fields)."""
        return one_line("".join(s.text for s in self.title))


def markdown(paragraph: Paragraph) -> str:
    """Render a paragraph as 钉钉 / 企业微信 markdown, staff text made inert."""
    out = []
    for span in paragraph:
        text = plain(span.text) if span.staff else span.text
        out.append(f"**{text}**" if span.bold and text.strip() else text)
    return "".join(out)


def flat(paragraph: Paragraph) -> str:
    """Render a paragraph as plain text, exactly as typed (line breaks collapsed)."""
    return one_line("".join(s.text for s in paragraph))


def inert(paragraph: Paragraph) -> str:
    """Render a paragraph as text for a message type that still parses ``<@…>`` (企业微信 text)."""
    return "".join(plain(s.text) if s.staff else s.text for s in paragraph)
