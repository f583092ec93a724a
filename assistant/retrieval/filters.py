"""Metadata filters: which documents a search may return (kinds, language, countries, region, SDGs, themes, facts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.errors import InvalidInput
from assistant.knowledge.documents import KnowledgeDocument
from assistant.text.geo import REGIONS


@dataclass
class Filters:
    countries: list[str] = field(default_factory=list)
    region: str | None = None
    sdgs: list[int] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    language: str | None = None
    # solution facts (SolutionFacts): a document that does not state the fact does not pass
    open_source: bool | None = None
    stage: str | None = None
    min_trl: int | None = None
    trains_others: bool | None = None

    def is_empty(self) -> bool:
        return (
            not (self.countries or self.region or self.sdgs or self.themes or self.kinds or self.language)
            and not self._has_facts()
        )

    def _has_facts(self) -> bool:
        return any(v is not None for v in (self.open_source, self.stage, self.min_trl, self.trains_others))

    def facts_match(self, doc: KnowledgeDocument) -> bool:
        facts = doc.facts
        if self.open_source is not None and facts.open_source is not self.open_source:
            return False
        if self.stage is not None and facts.stage != self.stage.strip().lower():
            return False
        if self.min_trl is not None and (facts.trl is None or facts.trl < self.min_trl):
            return False
        return self.trains_others is None or facts.trains_others is self.trains_others

    def region_members(self) -> set[str]:
        if not self.region:
            return set()
        wanted = self.region.casefold()
        region = REGIONS.get(self.region) or next(
            (r for r in REGIONS.values() if wanted in (a.casefold() for a in (r.name, *r.aliases))),
            None,
        )
        if region is None:
            raise InvalidInput(f"Unknown region '{self.region}'.")
        return set(region.members)

    def matches(self, doc: KnowledgeDocument) -> bool:
        if self.kinds and doc.kind not in self.kinds:
            return False
        if self.language and doc.language != self.language:
            return False
        if self.countries and not set(self.countries) & set(doc.countries):
            return False
        if self.region and not (self.region_members() & set(doc.countries) or doc.region == self.region):
            return False
        if self.sdgs and not set(self.sdgs) & set(doc.sdgs):
            return False
        if self.themes:
            wanted = {t.casefold() for t in self.themes}
            if not wanted & {t.casefold() for t in doc.themes}:
                return False
        return self.facts_match(doc)


def allowed_documents(documents: dict[str, KnowledgeDocument], filters: Filters | None) -> set[str] | None:
    """The ids of the documents the filters let through; None when there are no filters (everything passes)."""
    if filters is None or filters.is_empty():
        return None
    return {doc_id for doc_id, doc in documents.items() if filters.matches(doc)}
