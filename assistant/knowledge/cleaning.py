"""Text clean-up applied once to every loaded document: entities, whitespace, personal contacts, empty labels.

Personal contacts never reach the index: phone numbers and personal e-mail addresses are removed from the
summary and the body. Role addresses of an organisation (info@, contact@, ... at a domain that is not a
free-mail provider) are kept: they are how a practitioner reaches a provider, and name no person.
"""

from __future__ import annotations

import html
import re

from assistant.knowledge.documents import KnowledgeDocument

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ROLE_BOXES = frozenset(
    [
        "info",
        "contact",
        "contacts",
        "hello",
        "enquiries",
        "inquiries",
        "office",
        "admin",
        "support",
        "secretariat",
        "communication",
        "communications",
        "press",
        "media",
        "partnerships",
        "team",
        "mail",
        "general",
    ]
)
_FREE_MAIL = frozenset(
    [
        "gmail",
        "yahoo",
        "hotmail",
        "outlook",
        "live",
        "aol",
        "icloud",
        "ymail",
        "gmx",
        "protonmail",
        "proton",
        "mail",
        "yandex",
        "orange",
        "free",
        "laposte",
    ]
)
# A run of digits with separators; counted afterwards (8 to 15 digits) so that years, amounts and dates stay.
_PHONE = re.compile(r"(?<![\w.-])(?:\+|00)?\(?\+?\d[\d\s().-]{6,}\d(?!\w)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_CONTACT_LABEL = re.compile(
    r"^\s*(?:e-?mail|courriel|tel|t[ée]l[ée]phone|phone|mobile|cel\.?|cell|whatsapp|fax|address|adresse|contact)"
    r"\s*[.:]\s*$",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")


def unescape(text: str) -> str:
    """Decode HTML entities, repeatedly for double-escaped text ("&amp;amp;" -> "&")."""
    for _ in range(4):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def is_personal_email(address: str) -> bool:
    local, _, domain = address.lower().partition("@")
    provider = domain.split(".")[0]
    return local not in _ROLE_BOXES or provider in _FREE_MAIL


def _is_phone(match: re.Match[str]) -> bool:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if not 8 <= digits <= 15:
        return False
    # "2015-2020", "1.500.000": dates and amounts have few, regular groups; a phone has a + or long runs
    if text.lstrip("(").startswith(("+", "00")) or digits >= 9:
        return True
    # "76 24 90 56": a local number written in pairs
    return bool(re.fullmatch(r"\d{2}(?:[\s.]\d{2}){3,}", text.strip()))


def drop_contacts(text: str) -> str:
    """The text without phone numbers and personal e-mail addresses."""
    text = _EMAIL.sub(lambda m: m.group(0) if not is_personal_email(m.group(0)) else "", text)
    # digits inside links are ids ("facebook.com/1296644613/videos"), not phones
    parts = _URL.split(text)
    links = _URL.findall(text)
    out = [_PHONE.sub(lambda m: "" if _is_phone(m) else m.group(0), part) for part in parts]
    return "".join(part + (links[i] if i < len(links) else "") for i, part in enumerate(out))


def _is_empty_label(line: str, following: str | None) -> bool:
    """A label ("Email:", "Tel:") or a heading ending in ":" whose content is gone."""
    if _CONTACT_LABEL.match(line):
        return True
    return line.endswith(":") and (following is None or following.endswith(":"))


def clean_text(text: str) -> str:
    """Entities decoded, contacts dropped, whitespace normalised, labels left with nothing after removed."""
    text = drop_contacts(unescape(text).replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    # leftovers of removed contacts: "Mobile  Email:" -> "Mobile Email:", a lone ":" or ","
    lines = [re.sub(r"\s*:[\s:,;/.]*$", ":", line) for line in lines]
    lines = ["" if re.fullmatch(r"[\W_]*", line) else line for line in lines]
    positions = [i for i, line in enumerate(lines) if line]
    for n, i in enumerate(positions):
        following = lines[positions[n + 1]] if n + 1 < len(positions) else None
        if _is_empty_label(lines[i], following):
            lines[i] = "\0"  # removed without joining the paragraphs around it
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append("\n".join(current))
                current = []
        elif line != "\0":
            current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def clean_document(doc: KnowledgeDocument) -> KnowledgeDocument:
    """Clean the document's text fields in place (and return it); an untrusted one is also neutralised."""
    doc.title = " ".join(unescape(doc.title).split()) or doc.title
    doc.summary = clean_text(doc.summary)
    doc.body = clean_text(doc.body)
    if doc.provider:
        doc.provider = " ".join(unescape(doc.provider).split()) or None
    if doc.trust != "curated":
        neutralise_document(doc)
    return doc


def neutralise_document(doc: KnowledgeDocument) -> KnowledgeDocument:
    """Drop the instruction-like sentences and hidden markup of every text an answer may show or a model read
    (see assistant.text.injection), in place. A title that is nothing but an instruction becomes the id."""
    from assistant.text.injection import neutralise

    doc.title = neutralise(doc.title) or doc.id
    doc.summary = neutralise(doc.summary)
    doc.body = neutralise(doc.body)
    for name in ("provider", "funder", "contact", "eligibility", "amount", "deadline"):
        value = getattr(doc, name)
        if value:
            setattr(doc, name, neutralise(value) or None)
    doc.offers = [kept for kept in (neutralise(o) for o in doc.offers) if kept]
    doc.partners = [kept for kept in (neutralise(p) for p in doc.partners) if kept]
    doc.themes = [kept for kept in (neutralise(t) for t in doc.themes) if kept]
    doc.extra = {k: kept for k, v in doc.extra.items() if (kept := neutralise(v))}
    return doc
