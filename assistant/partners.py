"""Partner matchmaking: which organisations (or, where none is known, countries/labs) hold solutions that match
a seeker's need, and why. (First version: retrieval-based ranking; see issue 4 for the full registry.)"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.geo import COUNTRIES, country_name, region_of
from assistant.retrieval import Filters, Retriever
from assistant.textproc import fold

_FUNDING_WORDS = re.compile(
    r"\b(fund|funds|funding|funder|funders|grant|grants|financ\w*|donor|donors|money|loan|loans|subvention\w*|"
    r"bailleur\w*|financement\w*|fonds|financiación|financiamiento|subsidio\w*|beca\w*|financiamento|"
    r"doador\w*|doação|doações|تمويل|منحة|منح)\b"
)


@dataclass
class PartnerCitation:
    doc_id: str
    title: str
    url: str | None

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "url": self.url}


@dataclass
class Partner:
    name: str
    kind: str  # organisation | country
    countries: list[str]
    score: float
    reason: str
    citations: list[PartnerCitation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "countries": self.countries, "score": round(self.score, 4),
                "reason": self.reason, "citations": [c.to_dict() for c in self.citations]}


@dataclass
class PartnerResult:
    partners: list[Partner]
    funding: list[dict]

    def to_dict(self) -> dict:
        return {"partners": [p.to_dict() for p in self.partners], "funding": self.funding}


def asks_for_money(need: str) -> bool:
    return bool(_FUNDING_WORDS.search(fold(need)))


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(name)).split())


class PartnerFinder:
    def __init__(self, retriever: Retriever):
        self.retriever = retriever

    def suggest(self, need: str, seeker_country: str | None = None, seeker_org: str | None = None,
                k: int = 5) -> PartnerResult:
        result = self.retriever.search(need, k=30, filters=Filters(kinds=["solution", "organisation"]))
        seeker_key = _key(seeker_org) if seeker_org else None
        seeker_region = region_of(seeker_country) if seeker_country else None
        buckets: dict[str, dict] = {}
        for rank, hit in enumerate(result.hits):
            doc = hit.doc
            weight = 1.0 / (rank + 3)
            names = doc.organisation_names() or [f"{country_name(c)}" for c in doc.countries[:1]]
            for name in names:
                key = _key(name)
                if not key or key == seeker_key:
                    continue
                bucket = buckets.setdefault(key, {"name": name, "kind": "organisation" if doc.organisation_names() else "country",
                                                   "countries": list(doc.countries[:3]), "score": 0.0, "docs": []})
                bucket["score"] += weight
                if doc.id not in [d.id for d in bucket["docs"]]:
                    bucket["docs"].append(doc)
        partners: list[Partner] = []
        for bucket in buckets.values():
            south = any(COUNTRIES.get(c) and COUNTRIES[c].global_south for c in bucket["countries"])
            same_region = seeker_region and any(region_of(c) == seeker_region for c in bucket["countries"])
            score = bucket["score"] * (1.2 if south else 1.0) * (1.2 if same_region else 1.0)
            titles = "; ".join(d.title for d in bucket["docs"][:2])
            reason = f"{len(bucket['docs'])} matching solution(s): {titles}."
            partners.append(Partner(bucket["name"], bucket["kind"], bucket["countries"], score, reason,
                                    [PartnerCitation(d.id, d.title, d.url) for d in bucket["docs"][:3]]))
        partners.sort(key=lambda p: -p.score)
        funding: list[dict] = []
        if asks_for_money(need):
            funding = [h.to_dict() for h in self.retriever.search(need, k=3, filters=Filters(kinds=["funding"])).hits]
        return PartnerResult(partners[:k], funding)

    def for_answer(self, question: str, result) -> list[dict]:
        """Partner suggestions attached to an answer, only when the question asks for partners or help."""
        if not asks_for_partners(question):
            return []
        return [p.to_dict() for p in self.suggest(question, k=3).partners]


_PARTNER_WORDS = re.compile(
    r"\b(who|partner\w*|help|support|provider\w*|organi[sz]ation\w*|qui|partenaire\w*|aider|aide|appui|"
    r"quien\w*|quién\w*|socio\w*|ayuda\w*|apoyo|quem|parceir\w*|ajuda\w*|apoio|شريك|شركاء|مساعدة)\b"
)


def asks_for_partners(question: str) -> bool:
    return bool(_PARTNER_WORDS.search(fold(question)))
