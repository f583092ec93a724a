"""Telegram HTML for answers, sources and partners; compact cuts and safe splitting under Telegram's limit.

Everything that comes from data (answers, titles, reasons, URLs, user input) is escaped here, so the only tags in
a message are the ones this module writes: <b>, <i> and <a href>. `split_html` never cuts inside a tag or an
entity and closes/reopens any element a cut falls inside, so every piece is valid on its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant.text.geo import country_name
from assistant.text.locales import phrase
from bots.texts import text

#: Telegram's limit for one message, counted (conservatively) on the HTML source in UTF-16 code units.
TELEGRAM_LIMIT = 4096
#: Visible answer text sent by default on slow connections; the rest waits behind the "More" button.
COMPACT_CHARS = 1200
SNIPPET_CHARS = 280


def esc(value: object) -> str:
    """Escape text for Telegram HTML (only <, > and & are special outside attributes)."""
    return html.escape(str(value), quote=False)


def tg_len(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(value.encode("utf-16-le")) // 2


def link(title: str, url: str | None) -> str:
    title_html = esc(title)
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{html.escape(url, quote=True)}">{title_html}</a>'
    return title_html


# -- compact cut on plain text ------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?؟…。](?:[\"'”»)\]]*)(?=\s)")


def compact_cut(value: str, limit: int = COMPACT_CHARS) -> tuple[str, str]:
    """Split plain text into (head, rest) with head <= limit characters, at a paragraph, line, sentence or word
    boundary (in that order of preference). Text barely over the limit is kept whole: a "More" button for a few
    words costs more than it saves."""
    value = value.strip()
    if len(value) <= limit * 1.2:
        return value, ""
    window = value[: limit + 1]
    floor = int(limit * 0.4)
    cut = -1
    for sep in ("\n\n", "\n"):
        pos = window.rfind(sep, 0, limit)
        if pos >= floor:
            cut = pos
            break
    if cut < 0:
        ends = [m.end() for m in _SENTENCE_END.finditer(window) if floor <= m.end() <= limit]
        if ends:
            cut = ends[-1]
    if cut < 0:
        pos = max(window.rfind(" ", 0, limit), window.rfind("\n", 0, limit))
        cut = pos if pos >= floor else limit
    return value[:cut].rstrip(), value[cut:].strip()


# -- splitting HTML under the limit -------------------------------------------------------------------------
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def _scan(source: str) -> tuple[list[bool], list[tuple[str, ...]]]:
    """For every position 0..len: may we cut there, and which opening tags are open there."""
    n = len(source)
    safe = [True] * (n + 1)
    stacks: list[tuple[str, ...]] = [()] * (n + 1)
    stack: list[tuple[str, str]] = []
    current: tuple[str, ...] = ()
    i = 0
    while i < n:
        stacks[i] = current
        char = source[i]
        match = None
        if char == "<":
            match = _TAG.match(source, i)
        elif char == "&":
            match = _ENTITY.match(source, i)
        if match is None:
            i += 1
            continue
        for j in range(i + 1, match.end()):
            safe[j] = False
            stacks[j] = current
        if char == "<":
            closing, name = match.group(1), match.group(2).lower()
            if closing:
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k][0] == name:
                        del stack[k:]
                        break
            else:
                stack.append((name, match.group(0)))
            current = tuple(tag for _, tag in stack)
        i = match.end()
    stacks[n] = current
    return safe, stacks


def _tag_name(tag: str) -> str:
    match = _TAG.match(tag)
    if match is None:  # `opened` only ever holds tags that _TAG matched
        raise ValueError(f"not an HTML tag: {tag!r}")
    return match.group(2).lower()


def _closers(opened: Sequence[str]) -> str:
    return "".join(f"</{_tag_name(tag)}>" for tag in reversed(opened))


def _priority(source: str, cut: int, opened: tuple[str, ...]) -> tuple[int, int]:
    before = source[cut - 1] if cut > 0 else ""
    after = source[cut] if cut < len(source) else ""
    around = source[max(0, cut - 2) : cut + 2]
    if "\n\n" in around and (before == "\n" or after == "\n"):
        kind = 4
    elif before == "\n" or after == "\n":
        kind = 3
    elif after.isspace() and _SENTENCE_END.match(source, cut - 1) is not None:
        kind = 2
    elif before.isspace() or after.isspace():
        kind = 1
    else:
        kind = 0
    return kind, 0 if opened else 1


def split_html(source: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into pieces of at most `limit` UTF-16 units, preferring paragraph, then line, then
    sentence, then word boundaries outside any element; never inside a tag or an entity. An element a cut falls
    inside is closed at the end of the piece and reopened at the start of the next."""
    source = source.strip()
    if tg_len(source) <= limit:
        return [source] if source else []
    safe, stacks = _scan(source)
    units = [0]
    for char in source:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    pieces: list[str] = []
    start = 0
    n = len(source)
    while start < n:
        opening = "".join(stacks[start])
        base = tg_len(opening)
        if base + units[n] - units[start] + len(_closers(stacks[n])) <= limit:
            cut = n
        else:
            best, best_key = -1, None
            min_len = limit // 4
            cut_at = start + 1
            while cut_at <= n and base + units[cut_at] - units[start] <= limit:
                if safe[cut_at]:
                    size = base + units[cut_at] - units[start] + tg_len(_closers(stacks[cut_at]))
                    if size <= limit:
                        kind, outside = _priority(source, cut_at, stacks[cut_at])
                        key = (cut_at - start >= min_len, kind, outside, cut_at)
                        if best_key is None or key > best_key:
                            best, best_key = cut_at, key
                cut_at += 1
            if best < 0:  # cannot happen with our own markup; never loop forever
                best = min(n, start + max(1, limit - base - 64))
            cut = best
        body = source[start:cut]
        piece = (opening + body + _closers(stacks[cut])).strip()
        if _visible(piece):
            pieces.append(piece)
        start = cut
        while start < n and source[start] in " \n" and safe[start]:
            start += 1
    return pieces


def _visible(piece: str) -> bool:
    return bool(_TAG.sub("", piece).strip())


_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.S)


def html_to_plain(source: str) -> str:
    """The same message without markup, for when Telegram refuses the HTML: links keep their address."""

    def unlink(match: re.Match) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        plain_label = html.unescape(_TAG.sub("", label))
        return plain_label if plain_label == url else f"{label} ({url})"

    return html.unescape(_TAG.sub("", _LINK.sub(unlink, source)))


# -- messages -------------------------------------------------------------------------------------------------
def _places(codes: Iterable[str], lang: str, most: int = 3) -> str:
    return phrase(lang, "list_separator").join(country_name(c, lang) for c in list(codes)[:most])


def answer_message(answer, lang: str, compact_chars: int = COMPACT_CHARS) -> tuple[str, str]:
    """The answer as one compact HTML message, and the plain-text rest kept for the "More" button."""
    head, rest = compact_cut(answer.text or "", compact_chars)
    parts = [esc(head) + (" …" if rest else "")]
    if answer.citations:
        lines = [f"<b>{esc(text(lang, 'sources_title'))}</b>"]
        lines += [f"[{c.n}] {link(c.title, c.url)}" for c in answer.citations]
        parts.append("\n".join(lines))
    # answer.partners is left to the "Partners" button: it searches with the condensed follow-up, while the
    # engine's inline suggestions are computed from the bare question ("who could help with it?").
    return "\n\n".join(parts), rest


def rest_message(rest: str) -> str:
    return esc(rest)


def sources_message(citations: Sequence, lang: str) -> str:
    if not citations:
        return esc(text(lang, "no_sources"))
    blocks = [f"<b>{esc(text(lang, 'sources_title'))}</b>"]
    for c in citations:
        lines = [f"[{c.n}] {link(c.title, c.url)}"]
        if c.countries:
            lines.append(esc(_places(c.countries, lang, 5)))
        snippet = (c.snippet or "").strip()
        if snippet:
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
            lines.append(f"<i>{esc(snippet)}</i>")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def partners_message(result, lang: str) -> str:
    """Ranked partners with their reasons and source links, then funding opportunities when there are some."""
    blocks: list[str] = []
    if result.partners:
        blocks.append(f"<b>{esc(text(lang, 'partners_title'))}</b>")
        for i, partner in enumerate(result.partners, 1):
            where = f" ({esc(_places(partner.countries, lang))})" if partner.countries else ""
            lines = [f"{i}. <b>{esc(partner.name)}</b>{where}"]
            if partner.reason:
                lines.append(esc(partner.reason))
            links = [link(c.title, c.url) for c in partner.citations[:3]]
            if links:
                lines.append("↳ " + " · ".join(links))
            blocks.append("\n".join(lines))
    else:
        blocks.append(esc(text(lang, "partners_none")))
    if result.funding:
        lines = [f"<b>{esc(text(lang, 'funding_title'))}</b>"]
        for fund in result.funding:
            lines.append(f"• {link(fund.get('title', ''), fund.get('url'))}")
            if fund.get("reason"):
                lines.append(f"  {esc(fund['reason'])}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
