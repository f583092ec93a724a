"""IATI activity files (standard 2.x, `<iati-activities><iati-activity>...`): one document per activity.

Parsed with defusedxml (IATI files come from anywhere: no entity expansion, no external entities), streaming
with iterparse so large publisher files stay small in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument, OrgRef
from assistant.text.language import SUPPORTED, detect_language

try:  # defusedxml guards against entity-expansion ("billion laughs") and external-entity attacks
    from defusedxml.ElementTree import iterparse as _iterparse
except ImportError:  # pragma: no cover - defusedxml is a dependency; ElementTree alone does not fetch
    from xml.etree.ElementTree import iterparse as _iterparse  # external entities but expands internal ones

log = logging.getLogger(__name__)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SUMMARY_CHARS = 400

#: participating-org/@role (IATI OrganisationRole codelist)
ROLE = {"1": "funding", "2": "accountable", "3": "extending", "4": "implementing"}
#: activity-status/@code (IATI ActivityStatus codelist)
STATUS = {
    "1": "pipeline",
    "2": "implementation",
    "3": "finalisation",
    "4": "closed",
    "5": "cancelled",
    "6": "suspended",
}

#: OECD DAC 3-digit sector categories -> short English theme (no commas: themes are comma-joined in metadata).
DAC_THEMES = {
    "110": "education",
    "111": "education",
    "112": "education",
    "113": "education",
    "114": "education",
    "120": "health",
    "121": "health",
    "122": "health",
    "123": "health",
    "130": "reproductive health",
    "140": "water and sanitation",
    "150": "government and civil society",
    "151": "government and civil society",
    "152": "peace and security",
    "160": "social infrastructure and services",
    "210": "transport",
    "220": "communications",
    "230": "energy",
    "231": "energy",
    "232": "energy",
    "233": "energy",
    "234": "energy",
    "235": "energy",
    "236": "energy",
    "240": "banking and finance",
    "250": "business",
    "310": "agriculture",
    "311": "agriculture",
    "312": "forestry",
    "313": "fishing",
    "320": "industry",
    "321": "industry",
    "322": "mining",
    "323": "construction",
    "330": "trade and tourism",
    "331": "trade",
    "332": "tourism",
    "410": "environment",
    "430": "multisector",
    "510": "budget support",
    "520": "food assistance",
    "530": "commodity assistance",
    "600": "debt relief",
    "720": "emergency response",
    "730": "reconstruction",
    "740": "disaster prevention",
    "910": "donor administrative costs",
    "930": "refugees in donor countries",
}
#: sector vocabularies holding SDG goals (7), targets (8) and indicators (9)
_SDG_SECTOR_VOCABULARIES = {"7", "8", "9"}
_SDG_CODE = re.compile(r"^\s*(\d{1,2})(?:\.|\s*$)")


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _narrative(element: Element | None, default_lang: str | None) -> tuple[str, str | None]:
    """(text, language) of the best narrative: English, else the activity's language, else the first."""
    if element is None:
        return "", None
    options: list[tuple[str, str | None]] = []
    for narrative in element.findall("narrative"):
        text = _text(narrative)
        if text:
            options.append((text, (narrative.get(XML_LANG) or default_lang or "").lower() or None))
    if not options:
        # IATI 1.x style: text directly in the element
        text = " ".join((element.text or "").split())
        return (text, default_lang) if text else ("", None)
    for wanted in ("en", default_lang):
        for text, lang in options:
            if wanted and lang == wanted:
                return text, lang
    return options[0]


def _truncate(text: str, limit: int = SUMMARY_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _sdg_from_code(code: str | None) -> int | None:
    match = _SDG_CODE.match(code or "")
    if match and 1 <= int(match.group(1)) <= 17:
        return int(match.group(1))
    return None


def _dac_theme(code: str | None, vocabulary: str | None) -> str | None:
    code = (code or "").strip()
    if vocabulary not in (None, "", "1", "2") or not code.isdigit() or len(code) not in (3, 5):
        return None
    category = code[:3]
    return DAC_THEMES.get(category) or DAC_THEMES.get(category[:2] + "0")


def _texts(activity: Element, identifier: str, lang: str | None) -> tuple[str, str | None, str, str]:
    """(title, title language, summary, body): the body joins the distinct descriptions, the summary is the
    general one (type 1) or the first, shortened; a missing title falls back on the description, then the id."""
    title, title_lang = _narrative(activity.find("title"), lang)
    descriptions: list[tuple[str, str]] = []
    for description in activity.findall("description"):
        text, _ = _narrative(description, lang)
        if text and text not in (d for _, d in descriptions):
            descriptions.append((description.get("type") or "1", text))
    general = [d for t, d in descriptions if t == "1"]
    first_description = general[0] if general else (descriptions[0][1] if descriptions else "")
    if not title:
        title = _truncate(first_description, 120) if first_description else identifier
    return title, title_lang, _truncate(first_description), "\n\n".join(d for _, d in descriptions)


def _countries(activity: Element) -> list[str]:
    from assistant.text.geo import country_code

    countries: list[str] = []
    for recipient in activity.findall("recipient-country"):
        code = country_code((recipient.get("code") or "").strip())
        if code and code not in countries:
            countries.append(code)
    return countries


def _sdgs_and_themes(activity: Element) -> tuple[list[int], list[str]]:
    """SDGs from SDG tags and SDG sector vocabularies; themes from the DAC sectors."""
    sdgs: list[int | None] = []
    for tag in activity.findall("tag"):
        if tag.get("vocabulary") in ("2", "3"):
            sdgs.append(_sdg_from_code(tag.get("code")))
    themes: list[str] = []
    for sector in activity.findall("sector"):
        vocabulary = sector.get("vocabulary")
        if vocabulary in _SDG_SECTOR_VOCABULARIES:
            sdgs.append(_sdg_from_code(sector.get("code")))
            continue
        theme = _dac_theme(sector.get("code"), vocabulary)
        if theme and theme not in themes:
            themes.append(theme)
    return [s for s in sdgs if s], themes


def _attribute(element: Element, name: str) -> str | None:
    """The attribute's value without surrounding spaces; None when missing or blank."""
    return (element.get(name) or "").strip() or None


def _reporting_org(activity: Element, lang: str | None) -> OrgRef | None:
    reporting = activity.find("reporting-org")
    if reporting is None:
        return None
    name = _narrative(reporting, lang)[0] or _attribute(reporting, "ref")
    if not name:
        return None
    return OrgRef(name=name, role="reporting", ref=_attribute(reporting, "ref"), org_type=_attribute(reporting, "type"))


def _participants(activity: Element, lang: str | None) -> list[OrgRef]:
    participants: list[OrgRef] = []
    for org in activity.findall("participating-org"):
        ref = _attribute(org, "ref")
        name = _narrative(org, lang)[0] or ref
        if not name:
            continue
        role = ROLE.get((org.get("role") or "").strip(), "partner")
        participants.append(OrgRef(name=name, role=role, ref=ref, org_type=_attribute(org, "type")))
    return participants


def _provider_and_partners(participants: list[OrgRef], reporting: OrgRef | None) -> tuple[str | None, list[str]]:
    """The provider is the first implementing organisation, else the reporting one; the others are partners."""
    implementing = [o.name for o in participants if o.role == "implementing"]
    provider = implementing[0] if implementing else (reporting.name if reporting else None)
    partners: list[str] = []
    for participant in participants:
        if participant.name != provider and participant.name not in partners:
            partners.append(participant.name)
    return provider, partners


def _status(activity: Element) -> str | None:
    status_element = activity.find("activity-status")
    if status_element is None:
        return None
    code = (status_element.get("code") or "").strip()
    return STATUS.get(code, code or None)


def _url(activity: Element) -> str | None:
    for link in activity.findall("document-link"):
        url = _attribute(link, "url")
        if url:
            return url
    return None


def _contact(activity: Element) -> str | None:
    for email in activity.findall("contact-info/email"):
        if _text(email):
            return _text(email)
    return None


def _start_year(activity: Element) -> int | None:
    dates = {d.get("type"): d.get("iso-date") or "" for d in activity.findall("activity-date")}
    for kind in ("2", "1"):  # actual start, planned start
        if re.match(r"^\d{4}", dates.get(kind, "")):
            return int(dates[kind][:4])
    return None


def activity_document(activity: Element, path: Path, default_lang: str | None = None) -> KnowledgeDocument:
    from assistant.text.geo import region_of

    lang = (activity.get(XML_LANG) or default_lang or "").lower() or None
    identifier = _text(activity.find("iati-identifier"))
    if not identifier:
        raise ValueError("activity without iati-identifier")
    title, title_lang, summary, body = _texts(activity, identifier, lang)
    countries = _countries(activity)
    sdgs, themes = _sdgs_and_themes(activity)
    reporting = _reporting_org(activity, lang)
    participants = _participants(activity, lang)
    provider, partners = _provider_and_partners(participants, reporting)
    language = title_lang if title_lang in SUPPORTED else None
    return KnowledgeDocument(
        id=identifier,
        kind="solution",
        title=title,
        summary=summary,
        body=body,
        countries=countries,
        region=region_of(countries[0]) if countries else None,
        sdgs=sdgs,
        themes=themes,
        provider=provider,
        partners=partners,
        organisations=([reporting] if reporting else []) + participants,
        contact=_contact(activity),
        url=_url(activity),
        language=language or detect_language(f"{title}\n{body}"[:1000]),
        status=_status(activity),
        year=_start_year(activity),
        source=str(path),
    )


def _activities(path: Path) -> Iterator[tuple[Element, str | None]]:
    """Each <iati-activity> with the file's default language, streamed: each is dropped from the tree once it
    was handled, so memory stays flat on big publisher files."""
    with Path(path).open("rb") as handle:
        events = _iterparse(handle, events=("start", "end"))
        first = next(events, None)
        if first is None:
            raise LoadError(path, "no XML content")
        root = first[1]  # the first event starts the root element
        if _local(root.tag) != "iati-activities":
            raise LoadError(path, f"not an IATI activities file (root element <{_local(root.tag)}>)")
        default_lang = root.get(XML_LANG)
        depth = 1
        for event, element in events:
            if event == "start":
                depth += 1
                continue
            depth -= 1
            if depth == 1 and element.tag == "iati-activity":
                try:
                    yield element, default_lang
                finally:
                    root.remove(element)


def load_iati(path: Path) -> list[KnowledgeDocument]:
    documents: list[KnowledgeDocument] = []
    failures: list[str] = []
    seen: set[str] = set()
    for number, (element, default_lang) in enumerate(_activities(path), start=1):
        try:
            document = activity_document(element, path, default_lang)
            if document.id in seen:
                raise ValueError(f"duplicate iati-identifier {document.id!r}")
        except (ValidationError, ValueError) as exc:
            failures.append(f"activity {number}: {str(exc).splitlines()[0]}")
            continue
        seen.add(document.id)
        documents.append(document)
    if failures:
        if not documents:
            raise LoadError(path, f"no valid activity: all {len(failures)} failed (first: {failures[0]})")
        log.warning("%s: %d activities skipped (first: %s)", path, len(failures), failures[0])
    if not documents:
        raise LoadError(path, "the IATI file has no activities")
    return documents
