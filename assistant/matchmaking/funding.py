"""Funding opportunities for a need that asks for money: the knowledge base's funding records on the need's topic,
ranked by relevance and by how well the places they are open to fit the seeker's."""

from __future__ import annotations

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.embeddings import PartnerCalibration
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

MAX_FUNDING = 3
MIN_FUNDING_RELEVANCE = 0.3
#: A funding opportunity is listed only if its relevance is at least this share of the best one's.
FUNDING_RELATIVE_FLOOR = 0.6
#: Funding records retrieved per need.
FUNDING_K = 8
#: Factor for an opportunity that lists where it is open when the seeker is not there.
ELSEWHERE_FACTOR = 0.8


def _context_factor(countries: list[str], seeker_codes: set[str]) -> float:
    fit = context_fit(countries, seeker_codes)
    factor = SAME_REGION_FACTOR if fit == "same-region" else SIMILAR_CONTEXT_FACTOR if fit == "similar" else 1.0
    if seeker_codes and countries and not fit:
        factor *= ELSEWHERE_FACTOR
    return factor


def rank_funding(
    hits: list[Hit], best_possible: float, calibration: PartnerCalibration, seeker_codes: set[str]
) -> list[tuple[float, KnowledgeDocument]]:
    """(score, record) of the hits above the relevance floors, best first."""
    relevance = {hit.doc.id: document_relevance(hit, best_possible, calibration) for hit in hits}
    floor = max(MIN_FUNDING_RELEVANCE, FUNDING_RELATIVE_FLOOR * max(relevance.values(), default=0.0))
    scored = [
        (relevance[hit.doc.id] * _context_factor(hit.doc.countries, seeker_codes), hit.doc)
        for hit in hits
        if relevance[hit.doc.id] >= floor
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
        money_topic(need), k=FUNDING_K, filters=Filters(kinds=["funding"]), use_query_understanding=False
    )
    if not on_topic(need, result, calibration):
        return []
    ranked = rank_funding(result.hits, best_possible_score(retriever), calibration, seeker_codes)
    return [funding_entry(doc, language) for _, doc in ranked[:MAX_FUNDING]]
