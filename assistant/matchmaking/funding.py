"""Funding opportunities for a need that asks for money: the knowledge base's funding records on the need's topic,
ranked by relevance and by how well the places they are open to fit the seeker's."""

from __future__ import annotations

import datetime as dt
import re

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.profiles import PartnerCalibration
from assistant.matchmaking.needs import money_topic, on_topic
from assistant.matchmaking.reasons import funding_reason
from assistant.matchmaking.scoring import (
    SAME_REGION_FACTOR,
    SIMILAR_CONTEXT_FACTOR,
    best_possible_score,
    context_fit,
    document_relevance,
)
from assistant.retrieval.retriever import Filters, Hit, Retriever
from assistant.text.geo import REGIONS, find_places
from assistant.text.locales import phrase

MAX_FUNDING = 3
MIN_FUNDING_RELEVANCE = 0.3
#: A funding opportunity is listed only if its relevance is at least this share of the best one's.
FUNDING_RELATIVE_FLOOR = 0.6
#: Funding records retrieved per need.
FUNDING_K = 8
#: Factor for an opportunity that lists where it is open when the seeker is not there.
ELSEWHERE_FACTOR = 0.8


#: Date formats a deadline is written in, day-first where the order is ambiguous (the records are not American).
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%b %d %Y",
)


def parse_deadline(value: object) -> dt.date | None:
    """The date of a deadline ("2027-03-31", "31/03/2027", "31 March 2027", "March 31, 2027"), None if it is not
    one ("rolling", empty, unreadable)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", value.strip().replace(",", " "))
    text = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def deadline_status(value: object, today: dt.date | None = None) -> str:
    """ "closed" when the deadline has passed, "open" when it is today or later, "unknown" otherwise."""
    date = parse_deadline(value)
    if date is None:
        return "unknown"
    return "closed" if date < (today or dt.date.today()) else "open"


def _context_factor(countries: list[str], seeker_codes: set[str]) -> float:
    fit = context_fit(countries, seeker_codes)
    factor = SAME_REGION_FACTOR if fit == "same-region" else SIMILAR_CONTEXT_FACTOR if fit == "similar" else 1.0
    if seeker_codes and countries and not fit:
        factor *= ELSEWHERE_FACTOR
    return factor


def eligible(doc: KnowledgeDocument, seeker_codes: set[str]) -> bool:
    """A fund open only to some countries is offered to a seeker from one of them, or whose country or region its
    eligibility text names (a Kenyan is not offered a fund for the Andean countries); open funds to anyone."""
    if not seeker_codes or not doc.countries or seeker_codes & set(doc.countries):
        return True
    named = find_places(doc.eligibility or "")
    codes = set(named.countries)
    for region in named.regions:
        codes |= set(REGIONS[region].members) if region in REGIONS else set()
    return bool(seeker_codes & codes)


def rank_funding(
    hits: list[Hit], best_possible: float, calibration: PartnerCalibration, seeker_codes: set[str]
) -> list[tuple[float, KnowledgeDocument]]:
    """(score, record) of the hits above the relevance floors, best first."""
    relevance = {hit.doc.id: document_relevance(hit, best_possible, calibration) for hit in hits}
    floor = max(MIN_FUNDING_RELEVANCE, FUNDING_RELATIVE_FLOOR * max(relevance.values(), default=0.0))
    scored = [
        (relevance[hit.doc.id] * _context_factor(hit.doc.countries, seeker_codes), hit.doc)
        for hit in hits
        if relevance[hit.doc.id] >= floor and eligible(hit.doc, seeker_codes)
    ]
    scored.sort(key=lambda x: (-x[0], x[1].id))
    return scored


def funding_entry(doc: KnowledgeDocument, language: str) -> dict:
    return {
        "doc_id": doc.id,
        "title": doc.title,
        "funder": doc.funder,
        "amount": doc.amount,
        "deadline": doc.deadline,
        "url": doc.url,
        "reason": funding_reason(doc, language),
    }


def find_funding(
    retriever: Retriever, calibration: PartnerCalibration, need: str, seeker_codes: set[str], language: str
) -> list[dict]:
    """Up to MAX_FUNDING opportunities for the need's topic (its money words left out), with their reasons."""
    result = retriever.search(
        money_topic(need),
        k=FUNDING_K,
        filters=Filters(kinds=["funding"]),
        use_query_understanding=False,
        with_snippets=False,
    )
    if not on_topic(need, result, calibration):
        return []
    ranked = rank_funding(result.hits, best_possible_score(retriever), calibration, seeker_codes)
    # A closed call is never offered as open: dropped, or kept labelled closed when it is all there is.
    still_open = [doc for _, doc in ranked if deadline_status(doc.deadline) != "closed"]
    if not still_open and ranked:
        entry = funding_entry(ranked[0][1], language)
        closed = phrase(language, "answer.closed", deadline=ranked[0][1].deadline)
        return [{**entry, "reason": f"{entry['reason']} ({closed})".strip()}]
    return [funding_entry(doc, language) for doc in still_open[:MAX_FUNDING]]
