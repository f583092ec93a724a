"""The knowledge-base document model: solutions, organisations and funding opportunities."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any, Literal, TypeGuard

from pydantic import BaseModel, Field, field_validator

Kind = Literal["solution", "organisation", "funding"]
#: "curated": written or vetted by the knowledge base's curators; "untrusted": anything else (community
#: submissions, documents marked `trust: untrusted`), whose instruction-like text is dropped at ingestion and
#: whose claims an answer labels as not verified.
Trust = Literal["curated", "untrusted"]
KINDS: tuple[str, ...] = ("solution", "organisation", "funding")


def is_kind(value: str) -> TypeGuard[Kind]:
    return value in KINDS


class OrgRef(BaseModel):
    """An organisation named by a document, with its role there (provider, partner, funding, implementing...)."""

    name: str
    role: str = "partner"
    ref: str | None = None
    org_type: str | None = None


class SolutionFacts(BaseModel):
    """What a practitioner asks before adopting a solution, as its record states it (None: not stated)."""

    open_source: bool | None = Field(default=None, description="True: DIY / open source; False: IP protected.")
    stage: Literal["prototype", "product"] | None = None
    trl: int | None = Field(default=None, ge=1, le=9, description="Technology Readiness Level.")
    trains_others: bool | None = None
    unit_cost: str | None = None
    diffusion: str | None = None
    bottlenecks: str | None = None
    market: Literal["off the shelf", "on order"] | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class KnowledgeDocument(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    kind: Kind = "solution"
    title: str = Field(min_length=1)
    summary: str = ""
    body: str = ""
    countries: list[str] = Field(default_factory=list, description="ISO3 codes, first = origin/HQ.")
    region: str | None = None
    sdgs: list[int] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    provider: str | None = None
    partners: list[str] = Field(default_factory=list)
    organisations: list[OrgRef] = Field(default_factory=list, description="Organisations with roles (IATI).")
    contact: str | None = None
    url: str | None = None
    language: str = "en"
    status: str | None = None
    year: int | None = None
    # organisation profile
    org_type: str | None = None
    acronym: str | None = None
    offers: list[str] = Field(default_factory=list)
    # funding opportunity
    funder: str | None = None
    eligibility: str | None = None
    amount: str | None = None
    deadline: str | None = None
    # solution facts (stored with the document, never embedded: filters and the answer's facts line use them)
    facts: SolutionFacts = Field(default_factory=SolutionFacts)
    #: A spreadsheet's columns that no field maps (column name -> cell), kept rather than dropped.
    extra: dict[str, str] = Field(default_factory=dict)
    source: str = ""
    trust: Trust = "curated"

    @field_validator("trust", mode="before")
    @classmethod
    def _known_trust(cls, value: Any) -> str:
        # Only an explicit "curated" (or nothing) is trusted: any other mark ("community", "no") lowers the tier.
        if value is None or str(value).strip().lower() in ("", "curated", "trusted"):
            return "curated"
        return "untrusted"

    @field_validator("sdgs")
    @classmethod
    def _valid_sdgs(cls, value: list[int]) -> list[int]:
        return sorted({v for v in value if 1 <= int(v) <= 17})

    @field_validator("countries")
    @classmethod
    def _upper_countries(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for code in value:
            code = code.strip().upper()
            if code and code not in seen:
                seen.append(code)
        return seen

    @field_validator("themes")
    @classmethod
    def _clean_themes(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for theme in value:
            theme = " ".join(str(theme).split()).lower()
            if theme and theme not in out:
                out.append(theme)
        return out

    def text(self) -> str:
        """The text that is chunked, embedded and searched."""
        parts = [self.title]
        if self.summary:
            parts.append(self.summary)
        if self.body:
            parts.append(self.body)
        for label, value in (
            ("Offers", ", ".join(self.offers)),
            ("Eligibility", self.eligibility),
            ("Amount", self.amount),
            ("Deadline", self.deadline),
        ):
            if value:
                parts.append(f"{label}: {value}")
        return "\n\n".join(parts)

    def organisation_names(self) -> list[str]:
        names = [n for n in [self.provider, self.funder, *self.partners] if n]
        names += [o.name for o in self.organisations]
        if self.kind == "organisation":
            names.insert(0, self.title)
        out: list[str] = []
        for name in names:
            if name not in out:
                out.append(name)
        return out

    def content_hash(self) -> str:
        payload = self.model_dump(mode="json", exclude={"source"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def chunk_metadata(self) -> dict[str, Any]:
        """Flat metadata (scalars only, as Chroma requires) that every chunk carries for filtering and citing.

        `extra` travels as one JSON string (`extra_from_metadata` reads it back), and only when there is some:
        documents without it keep the metadata, hence the hash, they had before the field existed."""
        from assistant.text.geo import country_name

        # English themes and country names travel with every chunk: they bridge languages for the
        # embedding and for BM25 (a French record tagged "solar energy" is found by "solar").
        tags = "; ".join(
            part for part in (", ".join(self.themes), ", ".join(country_name(c) for c in self.countries[:5])) if part
        )
        metadata = {
            "doc_id": self.id,
            "kind": self.kind,
            "title": self.title,
            "tags": tags,
            "countries": ",".join(self.countries),
            "region": self.region or "",
            "sdgs": ",".join(str(s) for s in self.sdgs),
            "themes": ",".join(self.themes),
            "language": self.language,
            "url": self.url or "",
            "provider": self.provider or self.funder or "",
            "source": self.source,
        }
        if self.extra:
            metadata["extra"] = json.dumps(self.extra, ensure_ascii=False, sort_keys=True)
        if self.trust != "curated":  # like `extra`: curated documents keep the hash they always had
            metadata["trust"] = self.trust
        return metadata


def extra_from_metadata(metadata: dict[str, Any]) -> dict[str, str]:
    """The `extra` columns a chunk's metadata carries (empty for documents stored before the field existed)."""
    raw = metadata.get("extra")
    if not raw:
        return {}
    value = json.loads(raw)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


#: Metadata keys that stay out of the embedded text (only the title helps the embedding).
NON_EMBEDDED_KEYS = [
    "doc_id",
    "kind",
    "countries",
    "region",
    "sdgs",
    "themes",
    "language",
    "url",
    "provider",
    "source",
    "extra",
    "trust",
]


def slugify(value: str, max_len: int = 80) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-zA-Z0-9]+", "-", value).strip("-").lower()
    return value[:max_len].strip("-") or "doc"


def split_list(value: Any) -> list[str]:
    """Accept a YAML list, a comma/semicolon separated string, or nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;,|]", str(value)) if part.strip()]
