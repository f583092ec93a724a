"""Query understanding: the language of a question and the countries, regions and SDGs it names, and what a
follow-up ("and in Senegal?") carries over from the exchange it continues."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.text.geo import REGIONS, find_places
from assistant.text.language import detect_language
from assistant.text.sdg import find_sdgs


@dataclass
class QueryAnalysis:
    #: The text searched: the question itself, or the follow-up condensed with the conversation.
    text: str
    language: str
    countries: list[str]
    regions: list[str]
    sdgs: list[int]

    def names_places(self) -> bool:
        return bool(self.countries or self.regions)

    def place_codes(self) -> set[str]:
        codes = set(self.countries)
        for name in self.regions:
            region = REGIONS.get(name)
            if region:
                codes |= set(region.members)
        return codes


def analyse(text: str, language: str | None = None) -> QueryAnalysis:
    """What one text names; `language` overrides the detected one (an asker's chosen language)."""
    places = find_places(text)
    return QueryAnalysis(
        text=text,
        language=language or detect_language(text, quick=True),
        countries=list(places.countries),
        regions=list(places.regions),
        sdgs=list(find_sdgs(text)),
    )


def follow_up(own: QueryAnalysis, exchange: QueryAnalysis) -> QueryAnalysis:
    """A follow-up's analysis: it searches the exchange's text in its own language; its own places and SDGs win
    ("and in Senegal?"), otherwise the exchange's carry over."""
    places = own if own.names_places() else exchange
    return QueryAnalysis(
        text=exchange.text,
        language=own.language,
        countries=places.countries,
        regions=places.regions,
        sdgs=own.sdgs or exchange.sdgs,
    )


def understand(question: str, query: str | None = None, language: str | None = None) -> QueryAnalysis:
    """The analysis to search `question` with. `query` is the question condensed with the conversation (the
    question itself when it stands alone); `language` is the answer language the asker chose, if any."""
    own = analyse(question, language)
    if query is None or query == question:
        return own
    return follow_up(own, analyse(query, own.language))
