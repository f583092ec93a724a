"""Request and response models of the HTTP API. They are the OpenAPI schema, so they mirror exactly what the
services return (`Answer.to_dict()`, `Hit.to_dict()`, `PartnerResult.to_dict()`...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, field_validator

from assistant.community.submissions import LIMITS
from assistant.errors import InvalidInput
from assistant.knowledge.documents import KnowledgeDocument
from assistant.retrieval.retriever import Filters
from assistant.text.geo import country_code
from assistant.text.language import SUPPORTED

Language = Literal[SUPPORTED]  # type: ignore[valid-type]
Kind = Literal["solution", "organisation", "funding"]
Rating = Literal["up", "down"]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
ShortText = Annotated[str, StringConstraints(max_length=60)]


def _no_nul(value: Any) -> Any:
    """Refuses text holding a NUL character, at any depth: no legitimate text has one, and SQLite, logs and
    C libraries truncate or choke on it."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("The text contains a NUL character (\\u0000), which is not allowed.")
    if isinstance(value, list | tuple):
        for item in value:
            _no_nul(item)
    return value


class Strict(BaseModel):
    # Unknown fields are refused: a typo ("filter", "questoin") must not be silently ignored. Strict types:
    # `true` is not a number, "5" is not a number, 1 is not a boolean.
    model_config = ConfigDict(extra="forbid", strict=True)

    _nul = field_validator("*", mode="before")(_no_nul)


def _country(value: str) -> str:
    code = country_code(value)
    if code is None:
        raise ValueError(f"Unknown country '{value}'. Use an ISO3 code (KEN) or a name (Kenya).")
    return code


# -- requests -----------------------------------------------------------------------------------------------
class FiltersIn(Strict):
    countries: list[ShortText] = Field(default_factory=list, max_length=20, description="ISO3 codes or names.")
    region: ShortText | None = Field(None, description="A region, e.g. 'West Africa' or 'Sahel'.")
    sdgs: list[Annotated[int, Field(ge=1, le=17)]] = Field(default_factory=list, max_length=17)
    themes: list[ShortText] = Field(default_factory=list, max_length=10)
    kinds: list[Kind] = Field(default_factory=list, max_length=3)
    language: Language | None = Field(None, description="Only documents written in this language.")
    # solution facts: a document that does not state the fact does not pass
    open_source: bool | None = Field(None, description="true: DIY / open source only; false: IP protected only.")
    stage: Literal["prototype", "product"] | None = Field(None, description="Only prototypes or only products.")
    min_trl: int | None = Field(None, ge=1, le=9, description="Technology Readiness Level at least this.")
    trains_others: bool | None = Field(None, description="Whether the holder can train others to use or replicate it.")

    @field_validator("countries")
    @classmethod
    def _countries(cls, values: list[str]) -> list[str]:
        return [_country(v) for v in values]

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Filters(region=value).region_members()
            except InvalidInput as exc:
                raise ValueError(exc.user_message) from None
        return value

    def to_filters(self) -> Filters:
        return Filters(**self.model_dump())


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("The text is empty.")
    return value


# The length limit of a question, query or need is a setting: each app's router subclasses these models with
# it (see api.routes.ask, .search, .partners), so the schema shows the limit.
class AskBase(Strict):
    question: str
    session_id: Identifier | None = Field(None, description="Conversation id; reuse it to ask follow-ups.")
    filters: FiltersIn | None = None
    language: Language | None = Field(None, description="Answer language (default: the question's).")
    stream: bool = Field(False, description="Answer as Server-Sent Events (same as Accept: text/event-stream).")

    _question = field_validator("question")(_not_blank)


class SearchBase(Strict):
    query: str
    k: int = Field(10, ge=1, le=50)
    filters: FiltersIn | None = None

    _query = field_validator("query")(_not_blank)


class PartnersBase(Strict):
    need: str
    country: ShortText | None = Field(None, description="Where the seeker is: ISO3 code or name.")
    k: int = Field(5, ge=1, le=20)

    _need = field_validator("need")(_not_blank)
    _country = field_validator("country")(lambda v: None if v is None else _country(v))


class FeedbackRequest(Strict):
    session_id: Identifier
    answer_id: Identifier
    rating: Rating
    comment: str = Field("", max_length=2000)


class SubmissionRequest(Strict):
    title: str = Field(max_length=LIMITS["title"], description="At least 5 characters.")
    summary: str = Field("", max_length=LIMITS["summary"])
    body: str = Field("", max_length=LIMITS["body"])
    countries: list[ShortText] = Field(default_factory=list, max_length=20)
    sdgs: list[Annotated[int, Field(ge=1, le=17)] | ShortText] = Field(default_factory=list, max_length=17)
    themes: list[ShortText] = Field(default_factory=list, max_length=10)
    provider: str = Field("", max_length=LIMITS["provider"])
    contact: str = Field("", max_length=LIMITS["contact"], description="E-mail, web address or phone number.")
    url: str = Field("", max_length=LIMITS["url"], description="http(s) address of the solution.")
    language: Language | None = None


# -- responses ----------------------------------------------------------------------------------------------
class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: str | list[ValidationIssue] = Field(description="What was wrong, safe to show to a person.")


class HitOut(BaseModel):
    doc_id: str
    title: str
    kind: str
    countries: list[str]
    sdgs: list[int]
    score: float
    snippet: str
    url: str | None
    place_match: Literal["exact", "neighbour", "region", "elsewhere"] | None = Field(
        None,
        description="How the record matches the place the question names: from it, a neighbouring country, the same"
        " region, or elsewhere (null when the question names no place and a topic).",
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    kind: str
    countries: list[str]
    url: str | None
    snippet: str
    trust: Literal["curated", "untrusted"] = Field(
        "curated", description="untrusted: a community submission, not verified by the curators."
    )


class PartnerCitationOut(BaseModel):
    doc_id: str
    title: str
    url: str | None


class PartnerOut(BaseModel):
    name: str
    kind: str = Field(description="organisation, lab or country.")
    countries: list[str]
    score: float
    reason: str
    citations: list[PartnerCitationOut]


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    partners: list[PartnerOut]
    language: str
    grounded: bool = Field(description="False when the knowledge base holds nothing on the question.")
    session_id: str
    answer_id: str
    related: list[HitOut]
    note: str | None
    mode: str = Field(description="extractive, refusal or llm:<model>.")
    outcome: Literal["answered", "nothing_exact", "out_of_scope", "greeting"] = Field(
        "answered",
        description="answered; nothing_exact (the closest records, labelled so, and a next step); out_of_scope (a"
        " short scope message); greeting (a self-introduction).",
    )


class SearchResponse(BaseModel):
    hits: list[HitOut]


class FundingOut(BaseModel):
    doc_id: str
    title: str
    funder: str | None
    amount: str | None
    deadline: str | None
    url: str | None
    reason: str


class PartnersResponse(BaseModel):
    partners: list[PartnerOut]
    funding: list[FundingOut] = Field(description="Funding opportunities, only when the need asks for money.")


_DOCUMENT_FIELDS: dict[str, Any] = {
    name: (field.annotation, field) for name, field in KnowledgeDocument.model_fields.items() if name != "source"
}
DocumentOut = create_model("Document", **_DOCUMENT_FIELDS)


class Created(BaseModel):
    id: int


class SubmissionAccepted(BaseModel):
    id: str
    status: Literal["pending"]


class SubmissionStatusOut(BaseModel):
    id: str
    status: Literal["pending", "approved", "rejected"]
    reason: str = Field("", description="Why it was rejected, in the moderator's words.")
    decided: float = Field(0.0, description="When it was approved or rejected (epoch seconds); 0 while pending.")


class IntroductionRequest(Strict):
    session_id: Identifier
    answer_id: Identifier | None = None
    target_kind: Literal["solution", "partner"]
    target_id: str = Field(min_length=1, max_length=300, description="The cited document's or partner's id.")
    target_name: str = Field("", max_length=300)
    need: str = Field(min_length=1, max_length=2000, description="What the seeker wants to achieve.")
    contact: str = Field("", max_length=200, description="How to reach the seeker; kept only with consent.")
    consent: bool = Field(description="Explicit consent to keep the contact and pass it on to the provider.")


class IntroductionCreated(BaseModel):
    id: str
    status: Literal["new"]


class SubmissionOut(BaseModel):
    id: str
    title: str
    summary: str
    body: str
    countries: list[str]
    sdgs: list[int]
    themes: list[str]
    provider: str
    contact: str
    url: str
    language: str
    source: str
    status: str
    created: float


class SubmissionList(BaseModel):
    submissions: list[SubmissionOut]


class IngestFailure(BaseModel):
    path: str
    reason: str


class IngestSummaryOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    skipped: int
    failed: int
    pruned: int
    chunks: int
    recovered: int
    seconds: float
    failures: list[IngestFailure]


class SubmissionDecision(BaseModel):
    id: str
    status: Literal["approved", "rejected"]
    ingest: IngestSummaryOut | None = None


class FeedbackOut(BaseModel):
    id: int
    session_id: str
    answer_id: str
    rating: str
    comment: str
    source: str
    created: float


class FeedbackList(BaseModel):
    feedback: list[FeedbackOut]


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    documents: int
    chunks: int
    generation: int = Field(0, description="Index generation: bumped by every ingest, deletion or approval.")
    primary_pending: int = Field(
        0,
        description="Chunks whose e5 vectors a fast first ingest left to compute (in the background); while any "
        "are, the knowledge base is searched by the fast encoder alone.",
    )
    search: Literal["both encoders", "fast encoder only"] = Field(
        "both encoders", description="How this server's current search snapshot ranks."
    )


class TelegramAck(BaseModel):
    ok: bool


class NeedRequest(Strict):
    session_id: Identifier = Field(description="The conversation the need was asked in (issued by this server).")
    question: str = Field(min_length=3, max_length=2000, description="The need, usually the question asked.")
    answer_id: Identifier | None = Field(None, description='The answer that found "nothing exactly on this".')


class NeedMatchOut(BaseModel):
    doc_id: str
    title: str
    url: str
    score: float = Field(description="Cosine of the need to the document's best passage.")
    created: float
    delivered: bool = Field(description="Whether it was already shown (read here, or sent on Telegram).")


class NeedOut(BaseModel):
    token: str = Field(description="Keep it: it reads this need's matches and unsubscribes from it.")
    status: Literal["open", "closed"]
    question: str
    places: list[str]
    channel: str
    created: float
    matches: list[NeedMatchOut] = Field(default_factory=list)
