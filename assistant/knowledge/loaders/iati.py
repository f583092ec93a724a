"""IATI activity files (standard 2.x, `<iati-activities><iati-activity>...`): one document per activity.

Parsed with defusedxml (IATI files come from anywhere: no entity expansion, no external entities), streaming
with iterparse so large publisher files stay small in memory.
"""

from __future__ import annotations

import logging
import re
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


def activity_document(activity: Element, path: Path, default_lang: str | None = None) -> KnowledgeDocument:
    from assistant.text.geo import country_code, region_of

    lang = (activity.get(XML_LANG) or default_lang or "").lower() or None
    identifier = _text(activity.find("iati-identifier"))
    if not identifier:
        raise ValueError("activity without iati-identifier")

    title, title_lang = _narrative(activity.find("title"), lang)

    descriptions: list[tuple[str, str]] = []
    for description in activity.findall("description"):
        text, _ = _narrative(description, lang)
        if text and text not in (d for _, d in descriptions):
            descriptions.append((description.get("type") or "1", text))
    general = [d for t, d in descriptions if t == "1"]
    first_description = general[0] if general else (descriptions[0][1] if descriptions else "")
    summary = _truncate(first_description)
    body = "\n\n".join(d for _, d in descriptions)
    if not title:
        title = _truncate(first_description, 120) if first_description else identifier

    countries: list[str] = []
    for recipient in activity.findall("recipient-country"):
        code = country_code((recipient.get("code") or "").strip())
        if code and code not in countries:
            countries.append(code)

    sdgs: list[int] = []
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

    organisations: list[OrgRef] = []
    reporting = activity.find("reporting-org")
    reporting_name = None
    if reporting is not None:
        reporting_name = _narrative(reporting, lang)[0] or (reporting.get("ref") or "").strip() or None
        if reporting_name:
            organisations.append(
                OrgRef(
                    name=reporting_name,
                    role="reporting",
                    ref=(reporting.get("ref") or "").strip() or None,
                    org_type=(reporting.get("type") or "").strip() or None,
                )
            )
    participants: list[OrgRef] = []
    for org in activity.findall("participating-org"):
        ref = (org.get("ref") or "").strip() or None
        name = _narrative(org, lang)[0] or ref
        if not name:
            continue
        role = ROLE.get((org.get("role") or "").strip(), "partner")
        participants.append(OrgRef(name=name, role=role, ref=ref, org_type=(org.get("type") or "").strip() or None))
    organisations += participants
    implementing = [o.name for o in participants if o.role == "implementing"]
    provider = implementing[0] if implementing else reporting_name
    partners: list[str] = []
    for org in participants:
        if org.name != provider and org.name not in partners:
            partners.append(org.name)

    status_element = activity.find("activity-status")
    status = None
    if status_element is not None:
        code = (status_element.get("code") or "").strip()
        status = STATUS.get(code, code or None)

    url = None
    for link in activity.findall("document-link"):
        if (link.get("url") or "").strip():
            url = link.get("url").strip()
            break
    contact = None
    for email in activity.findall("contact-info/email"):
        if _text(email):
            contact = _text(email)
            break

    year = None
    dates = {d.get("type"): d.get("iso-date") or "" for d in activity.findall("activity-date")}
    for kind in ("2", "1"):  # actual start, planned start
        if re.match(r"^\d{4}", dates.get(kind, "")):
            year = int(dates[kind][:4])
            break

    language = title_lang if title_lang in SUPPORTED else None
    if language is None:
        language = detect_language(f"{title}\n{body}"[:1000])

    return KnowledgeDocument(
        id=identifier,
        kind="solution",
        title=title,
        summary=summary,
        body=body,
        countries=countries,
        region=region_of(countries[0]) if countries else None,
        sdgs=[s for s in sdgs if s],
        themes=themes,
        provider=provider,
        partners=partners,
        organisations=organisations,
        contact=contact,
        url=url,
        language=language,
        status=status,
        year=year,
        source=str(path),
    )


def load_iati(path: Path) -> list[KnowledgeDocument]:
    documents: list[KnowledgeDocument] = []
    failures: list[str] = []
    seen: set[str] = set()
    root: Element | None = None
    default_lang: str | None = None
    depth = 0
    number = 0
    with Path(path).open("rb") as handle:
        for event, element in _iterparse(handle, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                    if _local(element.tag) != "iati-activities":
                        raise LoadError(path, f"not an IATI activities file (root element <{_local(element.tag)}>)")
                    default_lang = element.get(XML_LANG)
                continue
            depth -= 1
            if depth != 1 or element.tag != "iati-activity":
                continue
            number += 1
            try:
                document = activity_document(element, path, default_lang)
                if document.id in seen:
                    raise ValueError(f"duplicate iati-identifier {document.id!r}")
            except (ValidationError, ValueError) as exc:
                failures.append(f"activity {number}: {str(exc).splitlines()[0]}")
            else:
                seen.add(document.id)
                documents.append(document)
            finally:
                root.remove(element)  # keep memory flat on big publisher files
    if root is None:
        raise LoadError(path, "no XML content")
    if failures:
        if not documents:
            raise LoadError(path, f"no valid activity: all {len(failures)} failed (first: {failures[0]})")
        log.warning("%s: %d activities skipped (first: %s)", path, len(failures), failures[0])
    if not documents:
        raise LoadError(path, "the IATI file has no activities")
    return documents
