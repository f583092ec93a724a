"""Chunking that survives edits: chunk boundaries follow the text's own structure, not its offsets.

llama-index's `SentenceSplitter` packs its splits greedily from the start of a document. Where the text has no
sentence punctuation (lists, tables, form exports, one item a line) its splits are words, so inserting one line at
the top of a long file moves every boundary after it and every chunk's text changes: the embedding cache (keyed
by text) misses on all of them. Even over prose the greedy packing resynchronises only by chance. Here a long document is first cut into *sections* at paragraph boundaries
(blank lines), before headings, or between the lines of an oversize paragraph; each section is then chunked by the
`SentenceSplitter` on its own. Where a section ends is decided by the content of the paragraph that ends it (a
content-defined cut, as rsync and backup tools cut files), never by its position in the document, so an edit
changes the chunks of its own section (and rarely the next one), and every other chunk keeps its exact text.

A document that fits in one section (at most `SECTION_MAX` chunks' worth of tokens: every one of the 895 AccLabs
records and of `corpus/`) is one section, chunked exactly as the `SentenceSplitter` always did.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from llama_index.core.node_parser import SentenceSplitter

#: Section sizes in chunks (of the effective chunk size, the metadata taken off). A section may close after a
#: piece whose text hashes to a cut once it holds `SECTION_MIN` chunks, about one cut every `SECTION_GAP` chunks,
#: and it is closed before it would pass `SECTION_MAX` (8 % of sections on a 10,000-line file). Sections average
#: about six chunks: an edit re-embeds about that many, and each section's last, partial chunk costs about 7 % more
#: chunks than greedy packing over the whole text (bench/ingest_bench.py --edit).
SECTION_MIN = 2
SECTION_GAP = 4
SECTION_MAX = 12

_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")
#: A Markdown heading, or a label alone on its line ("Eligibility:"): a section rather starts there.
_HEADING = re.compile(r"#{1,6}\s|[^\n:]{1,60}:[ \t]*$", re.MULTILINE)
#: A form field ("Country: Kenya"): it starts a piece of its own within its paragraph.
_FIELD = re.compile(r"[^\W\d_][\w /()&'-]{0,40}:[ \t]")
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\u061f])\s+")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    heading: bool


def _spans(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """The pieces of text[start:end] between matches of `pattern` (the separators dropped, no empty piece)."""
    spans, at = [], start
    for match in pattern.finditer(text, start, end):
        if match.start() > at:
            spans.append((at, match.start()))
        at = match.end()
    if end > at:
        spans.append((at, end))
    return spans


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, at = [], start
    while at < end:
        stop = text.find("\n", at, end)
        stop = end if stop < 0 else stop
        if text[at:stop].strip():
            spans.append((at, stop))
        at = stop + 1
    return spans


def _units(text: str, limit: int, count: Callable[[str], int]) -> list[_Unit]:
    """Paragraphs, each heading line starting a new one; a paragraph over `limit` tokens falls into its lines,
    and a line over `limit` into its sentences: the places a section may end."""
    units: list[_Unit] = []
    for p_start, p_end in _spans(text, 0, len(text), _BLANK_LINES):
        pieces: list[tuple[int, int]] = []
        for l_start, l_end in _line_spans(text, p_start, p_end):
            if pieces and (_HEADING.match(text, l_start, l_end) or _FIELD.match(text, l_start, l_end)):
                pieces.append((l_start, l_end))
            elif pieces:
                pieces[-1] = (pieces[-1][0], l_end)
            else:
                pieces.append((l_start, l_end))
        for start, end in pieces:
            units.extend(_split_unit(text, start, end, limit, count))
    return units


def _split_unit(text: str, start: int, end: int, limit: int, count: Callable[[str], int]) -> list[_Unit]:
    tokens = count(text[start:end])
    heading = bool(_HEADING.match(text, start, end))
    if tokens <= limit:
        return [_Unit(start, end, tokens, heading)]
    lines = _line_spans(text, start, end)
    if len(lines) == 1:
        lines = _spans(text, start, end, _SENTENCE_END)
        if len(lines) == 1:
            return [_Unit(start, end, tokens, heading)]  # one long sentence: the SentenceSplitter's to cut
    return [unit for s, e in lines for unit in _split_unit(text, s, e, limit, count)]


def _cuts_after(piece: str, tokens: int, gap: int) -> bool:
    """Whether a section may end after this piece: a pseudo-random draw seeded by its text alone, with a chance
    proportional to its size, so cuts fall about every `gap` tokens whatever the paragraphs' lengths."""
    draw = int.from_bytes(hashlib.blake2b(piece.encode(), digest_size=8).digest(), "big") / 2**64
    return draw < tokens / gap


def split_sections(text: str, chunk_size: int, count: Callable[[str], int]) -> list[str]:
    """`text` cut into sections at content-defined paragraph boundaries (the whole text when it is short)."""
    most = SECTION_MAX * chunk_size
    if count(text) <= most:
        return [text]
    least, gap = SECTION_MIN * chunk_size, SECTION_GAP * chunk_size
    sections: list[str] = []
    start: int | None = None
    end = held = 0
    for unit in _units(text, chunk_size, count):
        if start is not None and (held + unit.tokens > most or (unit.heading and held >= least)):
            sections.append(text[start:end])
            start, held = None, 0
        if start is None:
            start = unit.start
        end, held = unit.end, held + unit.tokens
        if held >= least and _cuts_after(text[unit.start : unit.end], unit.tokens, gap):
            sections.append(text[start:end])
            start, held = None, 0
    if start is not None:
        sections.append(text[start:end])
    return sections


class StructuredSplitter(SentenceSplitter):
    """`SentenceSplitter` within each section of `split_sections`: identical chunks for a document of one
    section, edit-stable chunks for a long one."""

    @classmethod
    def class_name(cls) -> str:
        return "StructuredSplitter"

    def _split_text(self, text: str, chunk_size: int) -> list[str]:
        sections = split_sections(text, chunk_size, self._token_size)
        if len(sections) == 1:
            return super()._split_text(text, chunk_size)
        chunks: list[str] = []
        for section in sections:  # a loop, not a comprehension: zero-argument super() needs the method's frame
            chunks.extend(super()._split_text(section, chunk_size))
        return chunks
