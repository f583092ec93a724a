"""Why a partner or a funding opportunity is suggested, in the need's language.

The texts are the "partners", "region_names" and "language_names" sections of assistant/locales/ (languages
without their own reason texts hold the English ones there).
"""

from __future__ import annotations

from assistant.knowledge.documents import KnowledgeDocument
from assistant.matchmaking.orgs import Organisation
from assistant.matchmaking.scoring import Signals
from assistant.text.geo import country_name, region_of
from assistant.text.locales import phrase, section

#: A partner's second sentence mentions what it offers when it is shorter than this.
OFFERS_ROOM = 120


def _text(language: str, key: str, /, **values: object) -> str:
    return phrase(language, f"partners.{key}", **values)


def region_label(region: str | None, language: str) -> str:
    """A primary region's name in the language ("" for none; the English name where it has no translation)."""
    if not region:
        return ""
    return section(language, "region_names").get(region, region)


def language_label(code: str, language: str) -> str:
    """A language's name in a language ("fr" in Spanish: "francés")."""
    return section(language, "language_names").get(code, code)


def sentence(parts: list[str]) -> str:
    """The non-empty parts joined with semicolons, capitalised, with a full stop ("" for none)."""
    text = "; ".join(p for p in parts if p)
    return (text[0].upper() + text[1:] + ".") if text else ""


def is_activity(doc: KnowledgeDocument) -> bool:
    """An IATI activity (it names its participating organisations) rather than a solution record."""
    return bool(doc.organisations)


# -- partners ------------------------------------------------------------------------------------------------------------


def _portfolio(solutions: list[KnowledgeDocument], language: str) -> str:
    if not solutions:
        return _text(language, "profile")
    key = "activities" if all(is_activity(doc) for doc in solutions) else "solutions"
    return _text(language, key, n=len(solutions), title=solutions[0].title)


def _place(org: Organisation, language: str) -> str | None:
    """Where it is based when known, else where it has worked: "Niger (West Africa), Global South"."""
    codes = org.home[:1] or org.countries[:1]
    if not codes:
        return None
    place = country_name(codes[0])
    region = region_label(region_of(codes[0]), language)
    label = f"{place} ({region})" if region and region != place else place
    if org.global_south:
        label = f"{label}, {_text(language, 'south')}"
    return _text(language, "based" if org.home else "works_in", place=label)


def _fit(signals: Signals, linked: list[str], language: str) -> list[str]:
    """How it fits the seeker: shared region or context, the need's language, partners in common."""
    parts: list[str] = []
    if signals.context == "same-region":
        parts.append(_text(language, "same_region"))
    elif signals.context == "similar":
        parts.append(_text(language, "similar"))
    if signals.language:
        parts.append(_text(language, "language", language=language_label(language, language)))
    if linked:
        parts.append(_text(language, "graph", names=", ".join(sorted(linked)[:2])))
    return parts


def partner_reason(
    org: Organisation, signals: Signals, solutions: list[KnowledgeDocument], linked: list[str], language: str
) -> str:
    """Two sentences: what it holds for the need and where it is; then how it fits the seeker (and what it offers).
    `solutions` are its matching solution documents, best first; `linked` the seeker's partners it works with."""
    parts = [_portfolio(solutions, language)]
    place = _place(org, language)
    if place:
        parts.append(place)
    parts += _fit(signals, linked, language)
    first = sentence(parts[:2])
    second = sentence(parts[2:])
    if org.offers and len(second) < OFFERS_ROOM:
        second = sentence([*parts[2:], _text(language, "offers", offers=", ".join(org.offers[:2]))])
    return f"{first} {second}".strip()


# -- funding -------------------------------------------------------------------------------------------------------------


def funding_reason(doc: KnowledgeDocument, language: str) -> str:
    """What a funding opportunity funds, by whom, where, how much and until when."""
    parts: list[str] = []
    if doc.themes:
        parts.append(_text(language, "funding_for", what=", ".join(doc.themes[:3])))
    if doc.funder:
        parts.append(_text(language, "funder", funder=doc.funder))
    if doc.countries:
        names = [country_name(c, language) for c in doc.countries[:4]]
        places = phrase(language, "list_separator").join(names) + ("…" if len(doc.countries) > 4 else "")
        parts.append(_text(language, "open_to", places=places))
    if doc.amount:
        parts.append(_text(language, "amount", amount=doc.amount))
    if doc.deadline:
        parts.append(_text(language, "deadline", deadline=doc.deadline))
    return sentence(parts)
