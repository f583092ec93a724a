"""Reading an iati3w organisation index (`org-index.json`): per organisation its name, short name and synonyms,
IATI type, HQ country, sectors, locations, activities by role and co-occurring partners with counts.

`read_index` parses the file into `IndexEntry` records, the index's recognised entries first; `apply_entry` adds an
entry's profile to a registry record, and `partner_edges` lists its partner-graph links. The registry
(assistant.matchmaking.orgs, `OrgRegistry.add_index`) decides which record an entry joins and which names it claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.matchmaking.names import is_placeholder
from assistant.matchmaking.organisation import Organisation
from assistant.text.geo import country_code
from assistant.text.sdg import find_sdgs

#: IATI organisation-type codes (OrganisationType codelist) -> the corpus's org_type vocabulary.
IATI_ORG_TYPES = {
    "10": "government",
    "11": "government",
    "15": "government",
    "21": "ngo",
    "22": "ngo",
    "23": "ngo",
    "24": "ngo",
    "30": "private",
    "40": "un-agency",
    "60": "foundation",
    "70": "private",
    "71": "private",
    "72": "private",
    "73": "private",
    "80": "research",
    "90": "other",
}
#: IATI types whose organisation is based where it implements (national / partner-country NGOs).
LOCAL_IATI_TYPES = {"22", "24"}
#: The index's `codeforiati:organisation-type` names -> org_type.
_INDEX_TYPE_NAMES = {
    "government": "government",
    "other public sector": "government",
    "international ngo": "ngo",
    "national ngo": "ngo",
    "regional ngo": "ngo",
    "partner country based ngo": "ngo",
    "public private partnership": "private",
    "multilateral": "un-agency",
    "foundation": "foundation",
    "private sector": "private",
    "academic, training and research": "research",
}

#: An index synonym longer than this is a description, not a name.
MAX_ALIAS_WORDS = 14
#: The country the shipped index covers (Somalia): where every entry works, and a "local" organisation is based.
INDEX_COUNTRY = "SOM"
#: Sector codes that say nothing about what an organisation does.
_VAGUE_SECTORS = ("other-multisector", "fsc")

#: A partner-graph link: (one end, other end, co-occurrences, document it comes from or None).
Edge = tuple[str, str, int, str | None]


@dataclass
class IndexEntry:
    """One organisation of the index, its names cleaned (single spaces; synonyms without descriptions or
    placeholders)."""

    stub: str
    name: str
    #: An "unrecognised" entry: a raw publisher spelling such as "NRC/Norwegian Refugee Council".
    weak: bool
    org_type: str | None
    shortname: str
    synonyms: list[str]
    scope: str | None
    hq: str
    #: The entry as in the file (sectors, locations, activities, partners).
    raw: Mapping

    @property
    def names(self) -> list[str]:
        return [self.name, self.shortname, *self.synonyms]


def _clean(value: object) -> str:
    return " ".join(str(value).split())


def _org_type(iati: Mapping) -> str | None:
    type_name = (iati.get("codeforiati:organisation-type") or "").strip()
    return _INDEX_TYPE_NAMES.get(type_name.casefold()) or IATI_ORG_TYPES.get(
        str(iati.get("codeforiati:organisation-type-code") or "")
    )


def parse_entry(stub: str, entry: Mapping) -> IndexEntry:
    info = entry.get("info") or {}
    iati = info.get("iati") or {}
    synonyms = [_clean(s) for s in info.get("synonyms") or []]
    return IndexEntry(
        stub=stub,
        name=_clean(info.get("name") or stub),
        weak=bool(info.get("unrecognised")),
        org_type=_org_type(iati),
        shortname=_clean(info.get("shortname") or ""),
        synonyms=[s for s in synonyms if s and len(s.split()) <= MAX_ALIAS_WORDS and not is_placeholder(s)],
        scope=info.get("scope"),
        hq=(iati.get("codeforiati:hq-country-or-region") or "").strip(),
        raw=entry,
    )


def read_index(source: Path | str | Mapping) -> list[IndexEntry]:
    """The entries of an index (a path or the parsed JSON), recognised ones first, else in file order."""
    data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    entries = sorted(data.items(), key=lambda item: bool((item[1].get("info") or {}).get("unrecognised")))
    return [parse_entry(stub, entry) for stub, entry in entries]


# -- an entry's profile ----------------------------------------------------------------------------------------------


def _add_home(org: Organisation, entry: IndexEntry) -> None:
    code = country_code(entry.hq) if entry.hq else None
    prefix = entry.name.split(" - ", 1)[0] if " - " in entry.name else ""
    if code:
        org.add_country(code, home=True)
    elif prefix and country_code(prefix):
        org.add_country(country_code(prefix), home=True)  # "Germany - Federal Foreign Office"
    elif entry.scope == "local":
        org.add_country(INDEX_COUNTRY, home=True)
    org.add_country(INDEX_COUNTRY)


def _add_sectors(org: Organisation, raw: Mapping) -> None:
    sectors = (raw.get("sectors") or {}).get("all") or {}
    for vocabulary in ("humanitarian", "dac"):
        for sector, n in (sectors.get(vocabulary) or {}).items():
            if sector.startswith("no-corresponding") or sector in _VAGUE_SECTORS:
                continue
            theme = sector.replace("-", " ")
            org.themes[theme] += int(n)
            for goal in find_sdgs(theme):
                org.sdgs[goal] += int(n)


def _add_places_and_activities(org: Organisation, raw: Mapping) -> None:
    locations = (raw.get("locations") or {}).get("all") or {}
    for level in ("admin1", "admin2"):
        for place, n in (locations.get(level) or {}).items():
            org.locations[place] += int(n)
    for role, acts in (raw.get("activities") or {}).items():
        known = org.activities.setdefault(role, [])
        known += [a for a in acts if a not in known]


def apply_entry(org: Organisation, entry: IndexEntry) -> None:
    """Add an entry's type, scope, home, themes and SDGs (from its sectors), locations and activities to a record."""
    org.org_type = org.org_type or entry.org_type
    org.scope = org.scope if org.scope not in (None, "unknown") else entry.scope
    _add_home(org, entry)
    _add_sectors(org, entry.raw)
    _add_places_and_activities(org, entry.raw)


def partner_edges(entry: IndexEntry) -> list[Edge]:
    """The entry's partner-graph links, between index stubs ("stub:<stub>"), with the index's counts."""
    partners = (entry.raw.get("partners") or {}).get("all") or {}
    return [
        (f"stub:{entry.stub}", f"stub:{other}", int(n), None)
        for by_scope in partners.values()
        for other, n in (by_scope or {}).items()
    ]
