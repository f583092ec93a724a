"""HTML pages: visible text (headings and paragraphs, one per line), title, description and language.

Only the standard library's `html.parser` is used. Script, style, navigation and footer content is dropped.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.loaders.common import document_from_text, read_text
from assistant.text.language import SUPPORTED

#: Form controls and their labels: "Nom", "Votre e-mail", "Envoyer" are not page text. The <form> itself is
#: kept: some sites (ASP.NET WebForms) wrap the whole page in one.
_FORM_CONTROLS = {"label", "input", "button", "select", "option", "optgroup", "textarea", "datalist", "output"}
#: Elements whose whole content is not page text.
_SKIPPED = {"script", "style", "noscript", "template", "svg", "nav", "footer", "iframe", "object", *_FORM_CONTROLS}
#: Elements that start a new line of text.
_BLOCKS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip: list[str] = []  # stack of open skipped elements
        self.title = ""
        self._in_title = False
        self.h1 = ""
        self._h1_parts: list[str] | None = None
        self.description = ""
        self.lang = ""

    # -- structure
    def _break(self) -> None:
        text = _SPACES.sub(" ", "".join(self._line)).strip()
        if text:
            self.lines.append(text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and attributes.get("lang"):
            self.lang = attributes["lang"]
        elif tag == "meta" and attributes.get("name", "").lower() == "description":
            self.description = " ".join(attributes.get("content", "").split())
        elif tag == "title":
            self._in_title = True
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skip.append(tag)
            return
        if self._skip:
            return
        if tag in _BLOCKS:
            self._break()
        if tag == "h1" and not self.h1:
            self._h1_parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self._skip:
            # close the innermost matching skipped element (tolerates unclosed children)
            while self._skip:
                if self._skip.pop() == tag:
                    break
            return
        if self._skip:
            return
        if tag in _BLOCKS:
            self._break()
        if tag in _HEADINGS:
            self._break()
        if tag == "h1" and self._h1_parts is not None:
            self.h1 = " ".join("".join(self._h1_parts).split())
            self._h1_parts = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._skip:
            return
        self._line.append(data.replace("\n", " "))
        if self._h1_parts is not None:
            self._h1_parts.append(data)

    def close(self) -> None:
        super().close()
        self._break()


def _decode(path: Path) -> str:
    """UTF-8 first; a page that declares another charset in a <meta> tag is decoded with it."""
    try:
        return read_text(path)
    except UnicodeDecodeError:
        data = path.read_bytes()
        match = _META_CHARSET.search(data[:4096])
        if match:
            try:
                codec = codecs.lookup(match.group(1).decode("ascii"))
            except LookupError:
                codec = None
            if codec is not None and codec.name not in ("utf-8", "utf-8-sig"):
                return data.decode(codec.name)
        raise


def parse_html(source: str) -> _TextExtractor:
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    return parser


def load_html(path: Path) -> list[KnowledgeDocument]:
    page = parse_html(_decode(path))
    text = "\n".join(page.lines)
    title = " ".join(page.title.split()) or page.h1 or None
    fields: dict = {}
    if page.description:
        fields["summary"] = page.description
    lang = page.lang.strip().lower().replace("_", "-").split("-")[0]
    if lang in SUPPORTED:
        fields["language"] = lang
    return [document_from_text(path, text, title=title[:200] if title else None, **fields)]
