"""The organisation registry: who provides, implements, funds or partners on what, de-duplicated by name.

Built from
  * organisation profiles in the knowledge base (kind "organisation": title, acronym, org_type, countries, sdgs,
    themes, offers),
  * the provider / partners / funder fields of solutions and funding opportunities,
  * IATI participating organisations with their roles (KnowledgeDocument.organisations: funding, accountable,
    extending, implementing, reporting),
  * optionally an IATI-derived organisation index (iati3w `org-index.json`: name, shortname, synonyms, IATI type,
    HQ country, activities by role, sectors, locations, and co-occurring partners with counts), see `add_index`.

Names are de-duplicated on a folded key (case, accents, punctuation, a leading "the"), and an acronym joins a full
name only where the data says so: an organisation document's `acronym`, the index's `shortname` / `synonyms`, or a
"Full Name (ACR)" / "ACR/Full Name" pattern. An acronym that two different full names claim is dropped as
ambiguous rather than merging the two.

Organisations that co-occur in a document (provider + partners of a solution, participants of an IATI activity) are
linked: those links and the index's partner counts form the partner graph (`Organisation.partners`).

Where a solution names no organisation at all, its origin country stands in (kind "country"); UNDP Accelerator Lab
records ("UNDP Accelerator Lab <Country>") are kind "lab", placed in the lab's country.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.text.geo import COUNTRIES, country_code, country_name
from assistant.text.sdg import find_sdgs
from assistant.text.textproc import fold

#: Roles an organisation can hold on a document; "profile" is its own organisation document.
ROLES = ("profile", "provider", "implementing", "funding", "accountable", "extending", "reporting", "partner")

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
_LOCAL_IATI_TYPES = {"22", "24"}
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

#: Placeholder names publishers use instead of an organisation: never registered.
PLACEHOLDER_NAMES = frozenset(
    {
        "information redacted",
        "redacted",
        "public sector institutions",
        "international ngo",
        "national ngo",
        "private sector",
        "government",
        "unknown",
        "not available",
        "n a",
        "na",
        "none",
        "other",
        "others",
        "various",
        "anonymous",
        "confidential",
        "tbd",
        "to be determined",
        "multiple",
        "local partners",
        "partners",
    }
)

_LAB = re.compile(r"^\s*UNDP\s+Accelerator\s+Lab\s+(?:of\s+|in\s+)?(.+?)\s*$", re.IGNORECASE)
_PAREN_ACRONYM = re.compile(r"^(?P<full>.*?\S)\s*\((?P<acr>[^()]+)\)\s*$")
_ACRONYM_SHAPE = re.compile(r"^[A-Z0-9][A-Za-z0-9&.\-]{1,14}$")
#: Claim strengths of names and acronyms: a primary name or declared acronym (organisation document, the index's
#: recognised entries) over a synonym, over a name from the index's unrecognised entries.
STRONG, SYNONYM, WEAK = 3, 2, 1
#: An index synonym longer than this is a description, not a name.
_MAX_ALIAS_WORDS = 14


# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """The de-duplication key of a name: folded (case, accents), '&' read as 'and', punctuation dropped,
    a leading 'the' dropped, single spaces. Arabic and other scripts are kept."""
    text = fold(name or "").replace("&", " and ")
    text = re.sub(r"[\W_]+", " ", text).split()
    if len(text) > 1 and text[0] == "the":
        text = text[1:]
    return " ".join(text)


def looks_like_acronym(text: str) -> bool:
    text = (text or "").strip()
    return bool(_ACRONYM_SHAPE.match(text)) and sum(ch.isupper() for ch in text) >= 2


def split_acronym(name: str) -> tuple[str, str | None]:
    """("Food and Agriculture Organization", "FAO") from "Food and Agriculture Organization (FAO)", from
    "FAO/Food and Agriculture Organization" or "Food and Agriculture Organization/FAO"; (name, None) otherwise."""
    name = " ".join((name or "").split())
    match = _PAREN_ACRONYM.match(name)
    if match and looks_like_acronym(match.group("acr").strip()) and len(match.group("full").split()) >= 2:
        return match.group("full").strip(" -,"), match.group("acr").strip()
    if name.count("/") == 1:
        left, right = (part.strip() for part in name.split("/"))
        if looks_like_acronym(left) and len(right.split()) >= 2:
            return right, left
        if looks_like_acronym(right) and len(left.split()) >= 2:
            return left, right
    return name, None


def is_placeholder(name: str) -> bool:
    key = name_key(name)
    return not key or key in PLACEHOLDER_NAMES


def lab_country(name: str) -> str | None:
    """ISO3 of a "UNDP Accelerator Lab <Country>" name, else None."""
    match = _LAB.match(name or "")
    return country_code(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Organisation:
    key: str
    name: str
    kind: str = "organisation"  # organisation | lab | country
    org_type: str | None = None
    acronym: str | None = None
    aliases: list[str] = field(default_factory=list)
    #: Where it is based (HQ, origin of its solutions, the lab's country); first = main.
    home: list[str] = field(default_factory=list)
    #: Home countries first, then every country it works in.
    countries: list[str] = field(default_factory=list)
    sdgs: Counter = field(default_factory=Counter)
    themes: Counter = field(default_factory=Counter)
    offers: list[str] = field(default_factory=list)
    languages: Counter = field(default_factory=Counter)
    #: doc_id -> roles it holds there (profile, provider, implementing, funding, partner...).
    docs: dict[str, set[str]] = field(default_factory=dict)
    #: Partner graph: other organisation's key -> number of co-occurrences.
    partners: Counter = field(default_factory=Counter)
    profile_doc: str | None = None
    url: str | None = None
    #: From the IATI index: scope (local | regional | international | unknown), locations, activities by role.
    scope: str | None = None
    locations: Counter = field(default_factory=Counter)
    activities: dict[str, list[str]] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)

    @property
    def hq_known(self) -> bool:
        """Its home comes from its own profile or the IATI index, not from where its solutions happen."""
        return bool(self.profile_doc) or ("iati-index" in self.sources and bool(self.home))

    @property
    def global_south(self) -> bool | None:
        """True/False from where it is based (geo.COUNTRIES), None when that is unknown."""
        known = [COUNTRIES[c] for c in self.home if c in COUNTRIES]
        if not known:
            return None
        return any(c.global_south for c in known)

    @property
    def activity_count(self) -> int:
        ids = {a for acts in self.activities.values() for a in acts}
        return len(ids) + len(self.docs)

    def roles(self, doc_id: str) -> set[str]:
        return self.docs.get(doc_id, set())

    def add_country(self, code: str | None, home: bool = False) -> None:
        if not code:
            return
        if home and code not in self.home:
            self.home.append(code)
        if code not in self.countries:
            self.countries.append(code)
        if home:  # home countries lead the list
            self.countries.sort(key=lambda c: (c not in self.home, self.home.index(c) if c in self.home else 0))

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "org_type": self.org_type,
            "acronym": self.acronym,
            "aliases": self.aliases,
            "home": self.home,
            "countries": self.countries,
            "global_south": self.global_south,
            "sdgs": sorted(self.sdgs),
            "themes": [t for t, _ in self.themes.most_common()],
            "offers": self.offers,
            "languages": sorted(self.languages),
            "docs": {d: sorted(r) for d, r in self.docs.items()},
            "partners": dict(self.partners.most_common()),
        }


def _merge_into(target: Organisation, other: Organisation) -> None:
    if len(other.name) > len(target.name) and not looks_like_acronym(other.name):
        target.aliases.append(target.name)
        target.name = other.name
    else:
        target.aliases.append(other.name)
    for alias in other.aliases:
        if alias not in target.aliases and alias != target.name:
            target.aliases.append(alias)
    target.aliases = [a for i, a in enumerate(target.aliases) if a != target.name and a not in target.aliases[:i]]
    target.org_type = target.org_type or other.org_type
    target.acronym = target.acronym or other.acronym
    for code in other.home:
        target.add_country(code, home=True)
    for code in other.countries:
        target.add_country(code)
    target.sdgs.update(other.sdgs)
    target.themes.update(other.themes)
    target.offers += [o for o in other.offers if o not in target.offers]
    target.languages.update(other.languages)
    for doc_id, roles in other.docs.items():
        target.docs.setdefault(doc_id, set()).update(roles)
    target.partners.update(other.partners)
    target.profile_doc = target.profile_doc or other.profile_doc
    target.url = target.url or other.url
    target.scope = target.scope or other.scope
    target.locations.update(other.locations)
    for role, acts in other.activities.items():
        target.activities.setdefault(role, [])
        target.activities[role] += [a for a in acts if a not in target.activities[role]]
    target.sources |= other.sources


# ---------------------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"\s+", "-", name_key(text)) or "org"


class OrgRegistry:
    """All organisations, de-duplicated, with their documents, roles and partner graph."""

    def __init__(self) -> None:
        self.orgs: dict[str, Organisation] = {}
        self._names: dict[str, tuple[str, int]] = {}  # name key -> (org key, claim strength)
        self._acronyms: dict[
            str, tuple[str | None, int]
        ] = {}  # acronym key -> (org key or None if ambiguous, strength)
        self._redirect: dict[str, str] = {}  # merged-away key -> surviving key
        self._stubs: dict[str, str] = {}  # index stub -> org key
        #: doc_id -> [(org key, role)] for every document that names an organisation (or stands for a country/lab).
        self.doc_orgs: dict[str, list[tuple[str, str]]] = {}
        self._pending_edges: list[tuple[str, str, int, str | None]] = []
        #: Which documents each co-occurrence link comes from (pair of keys, sorted -> doc ids); index links have none.
        self.edge_docs: dict[tuple[str, str], set[str]] = {}
        self._dirty = False
        #: Entries read from IATI organisation indexes (before any merging).
        self.index_entries = 0

    # -- building blocks -------------------------------------------------------------------------------------
    def _canon(self, key: str) -> str:
        while key in self._redirect:
            key = self._redirect[key]
        return key

    def _new_key(self, base: str) -> str:
        key, n = base, 2
        while key in self.orgs or key in self._redirect:
            key, n = f"{base}-{n}", n + 1
        return key

    def _claim_name(self, name: str, key: str, strength: int = STRONG) -> None:
        """Let a name point to an organisation; a stronger claim (a primary name over a synonym) wins, and
        between equal claims the first one stays."""
        nk = name_key(name)
        if not nk:
            return
        current = self._names.get(nk)
        if current is None or (strength > current[1] and self._canon(current[0]) != self._canon(key)):
            self._names[nk] = (key, strength)

    def _claim_acronym(self, acronym: str, key: str, strength: int = STRONG) -> None:
        """Let an acronym point to an organisation; two equal claims by different organisations make it
        ambiguous (it then resolves to nothing) unless a stronger claim settles it."""
        ak = name_key(acronym)
        if not ak:
            return
        current = self._acronyms.get(ak)
        if current is None or strength > current[1]:
            self._acronyms[ak] = (key, strength)
        elif strength == current[1] and current[0] is not None and self._canon(current[0]) != self._canon(key):
            self._acronyms[ak] = (None, strength)

    def _lookup(self, text: str) -> str | None:
        found = self._names.get(name_key(text))
        return self._canon(found[0]) if found else None

    def _lookup_acronym(self, acronym: str) -> str | None:
        found = self._acronyms.get(name_key(acronym))
        return self._canon(found[0]) if found and found[0] else None

    def merge(self, keep: str, drop: str) -> str:
        keep, drop = self._canon(keep), self._canon(drop)
        if keep == drop:
            return keep
        _merge_into(self.orgs[keep], self.orgs.pop(drop))
        self._redirect[drop] = keep
        self._dirty = True
        return keep

    def resolve(self, name: str) -> Organisation | None:
        """The registered organisation this name (full name, alias, acronym, "Name (ACR)") refers to."""
        key = self.key_for(name)
        return self.orgs.get(key) if key else None

    def key_for(self, name: str) -> str | None:
        if not name or not name.strip():
            return None
        if name in self.orgs:
            return name
        if name in self._stubs:
            return self._canon(self._stubs[name])
        found = self._lookup(name)
        if found:
            return found
        full, acronym = split_acronym(name)
        found = self._lookup(full)
        if found:
            return found
        if acronym:
            return self._lookup_acronym(acronym)
        if looks_like_acronym(name.strip()):
            return self._lookup_acronym(name.strip())
        return None

    def add_name(
        self,
        name: str,
        *,
        org_type: str | None = None,
        acronym: str | None = None,
        kind: str = "organisation",
        key: str | None = None,
        source: str = "documents",
    ) -> Organisation | None:
        """Register a name (or find the organisation it already names) and return its record."""
        name = " ".join((name or "").split())
        if is_placeholder(name):
            return None
        full, parsed_acronym = split_acronym(name)
        acronym = acronym or parsed_acronym
        bare_acronym = acronym is None and looks_like_acronym(name)
        found = self._lookup(name) or self._lookup(full)
        if acronym:
            by_acronym = self._lookup_acronym(acronym)
            if by_acronym and by_acronym != found:
                other = self.orgs[by_acronym]
                # The acronym joins two records only when the one it points to knows no other full name.
                if looks_like_acronym(other.name) or name_key(other.name) == name_key(full):
                    found = self.merge(found, by_acronym) if found else by_acronym
                else:
                    self._acronyms[name_key(acronym)] = (None, STRONG)  # two full names claim it: it identifies neither
        elif bare_acronym and found is None:
            found = self._lookup_acronym(name)
        if found is None:
            org = Organisation(key=self._new_key(key or _slug(full)), name=full, kind=kind)
            self.orgs[org.key] = org
            found = org.key
        org = self.orgs[found]
        if bare_acronym and not looks_like_acronym(org.name):
            pass  # "FAO" found "Food and Agriculture Organization": nothing to learn
        elif name_key(full) != name_key(org.name) and full not in org.aliases:
            if looks_like_acronym(org.name) and not looks_like_acronym(full):
                org.aliases.append(org.name)
                org.name = full
            else:
                org.aliases.append(full)
        if acronym:
            org.acronym = org.acronym or acronym
            self._claim_acronym(acronym, org.key)
        if bare_acronym:
            self._claim_acronym(name, org.key)  # a bare acronym is only ever an acronym (it can become ambiguous)
        else:
            self._claim_name(name, org.key)
            self._claim_name(full, org.key)
        org.org_type = org.org_type or org_type
        org.sources.add(source)
        if kind != "organisation" and org.kind == "organisation" and not org.profile_doc and source == "documents":
            org.kind = kind
        return org

    def _country_entity(self, code: str) -> Organisation:
        key = f"country:{code}"
        if key not in self.orgs:
            self.orgs[key] = Organisation(key=key, name=country_name(code), kind="country")
            self.orgs[key].add_country(code, home=True)
        return self.orgs[key]

    # -- documents -------------------------------------------------------------------------------------------
    def add_document(self, doc: KnowledgeDocument) -> None:
        """Register every organisation a document names, with its role there."""
        involved: list[tuple[Organisation, str]] = []

        def attach(org: Organisation | None, role: str) -> None:
            if org is None:
                return
            org.docs.setdefault(doc.id, set()).add(role)
            if doc.kind != "funding" or role == "funding":
                org.languages[doc.language] += 1
                org.sdgs.update(doc.sdgs)
                org.themes.update(doc.themes)
            involved.append((org, role))

        if doc.kind == "organisation":
            org = self.add_name(doc.title, org_type=doc.org_type, acronym=doc.acronym)
            if org is not None:
                org.profile_doc = doc.id
                org.kind = "organisation"
                org.url = org.url or doc.url
                for i, code in enumerate(doc.countries):
                    org.add_country(code, home=i == 0)
                org.offers += [o for o in doc.offers if o not in org.offers]
                attach(org, "profile")
        elif doc.kind == "funding":
            if doc.funder:
                attach(self.add_name(doc.funder), "funding")
        else:
            iati = bool(doc.organisations)
            if iati:
                for ref in doc.organisations:
                    org = self.add_name(ref.name, org_type=IATI_ORG_TYPES.get(ref.org_type or ""))
                    if org is None:
                        continue
                    local = ref.org_type in _LOCAL_IATI_TYPES and ref.role == "implementing"
                    for code in doc.countries:
                        org.add_country(code, home=local and not org.hq_known)
                    attach(org, ref.role or "partner")
            if doc.provider and not iati:
                code = lab_country(doc.provider)
                org = self.add_name(doc.provider, kind="lab" if code else "organisation")
                if org is not None:
                    if code:
                        org.add_country(code, home=True)
                    elif doc.countries:  # a solution starts where its provider is, unless its profile says otherwise
                        org.add_country(doc.countries[0], home=not org.hq_known)
                    for c in doc.countries:
                        org.add_country(c)
                    attach(org, "provider")
            for partner in [] if iati else doc.partners:
                org = self.add_name(partner)
                if org is not None:
                    for c in doc.countries:
                        org.add_country(c)
                    attach(org, "partner")
            if not involved and doc.countries:
                attach(self._country_entity(doc.countries[0]), "provider")
        # de-duplicate (an organisation can hold two roles) and link co-participants
        seen: dict[str, str] = {}
        for org, role in involved:
            if org.key not in seen or role in ("profile", "provider", "implementing"):
                seen[org.key] = role
        self.doc_orgs[doc.id] = [(k, r) for k, r in seen.items()]
        if doc.kind == "solution":
            for a, b in combinations(sorted(seen), 2):
                self._pending_edges.append((a, b, 1, doc.id))
        self._dirty = True

    # -- the IATI-derived organisation index -----------------------------------------------------------------
    def add_index(self, source: Path | str | Mapping, *, merge_duplicates: bool = False) -> int:
        """Import an iati3w organisation index (path or parsed JSON); returns the number of entries read.

        Each entry becomes one organisation, joined to a document-derived record of the same name when there is
        one. The index's recognised entries are read first and their names, short names and synonyms claimed
        before those of its "unrecognised" entries (raw publisher spellings such as "NRC/Norwegian Refugee
        Council"), so a name resolves to the recognised organisation. With `merge_duplicates`, an unrecognised
        entry whose name resolves to a recognised one is merged into it (fewer, better connected records);
        by default every entry stays its own record, as in the index's partner graph."""
        data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
        entries = sorted(data.items(), key=lambda item: bool((item[1].get("info") or {}).get("unrecognised")))
        for stub, entry in entries:
            info = entry.get("info") or {}
            weak = bool(info.get("unrecognised"))
            name = " ".join(str(info.get("name") or stub).split())
            iati = info.get("iati") or {}
            type_name = (iati.get("codeforiati:organisation-type") or "").strip()
            org_type = _INDEX_TYPE_NAMES.get(type_name.casefold()) or IATI_ORG_TYPES.get(
                str(iati.get("codeforiati:organisation-type-code") or "")
            )
            shortname = " ".join(str(info.get("shortname") or "").split())
            synonyms = [" ".join(str(s).split()) for s in info.get("synonyms") or []]
            synonyms = [s for s in synonyms if s and len(s.split()) <= _MAX_ALIAS_WORDS and not is_placeholder(s)]
            # The same organisation already known under any of its full names (acronyms alone are not enough: two
            # organisations can share one). Another index entry is joined only when merging duplicates.
            existing = None
            for candidate in [name, shortname, *synonyms]:
                if not candidate or looks_like_acronym(candidate):
                    continue
                found = self._lookup(candidate) or self._lookup(split_acronym(candidate)[0])
                if found and ("iati-index" not in self.orgs[found].sources or (weak and merge_duplicates)):
                    existing = self.merge(existing, found) if existing else found
            if existing:
                org = self.orgs[existing]
                org.sources.add("iati-index")
                if name_key(name) != name_key(org.name) and name not in org.aliases:
                    org.aliases.append(name)
            else:
                org = Organisation(key=self._new_key(stub), name=name, org_type=org_type, sources={"iati-index"})
                self.orgs[org.key] = org
            self._stubs[stub] = org.key
            primary, synonym = (WEAK, WEAK) if weak else (STRONG, SYNONYM)
            self._claim_name(name, org.key, primary)
            full, acronym = split_acronym(name)
            if acronym:
                org.acronym = org.acronym or acronym
                self._claim_acronym(acronym, org.key, primary)
                self._claim_name(full, org.key, primary)
            aliases = [(shortname, primary)] + [(s, synonym) for s in synonyms]
            for alias, strength in aliases:
                if not alias or len(alias.split()) > _MAX_ALIAS_WORDS or is_placeholder(alias):
                    continue
                if looks_like_acronym(alias):
                    org.acronym = org.acronym or alias
                    self._claim_acronym(alias, org.key, strength)
                else:
                    a_full, a_acr = split_acronym(alias)
                    self._claim_name(alias, org.key, strength)
                    self._claim_name(a_full, org.key, strength)
                    if a_acr:
                        self._claim_acronym(a_acr, org.key, strength)
                if name_key(alias) != name_key(org.name) and alias not in org.aliases:
                    org.aliases.append(alias)
            org.org_type = org.org_type or org_type
            org.scope = org.scope if org.scope not in (None, "unknown") else info.get("scope")
            hq = (iati.get("codeforiati:hq-country-or-region") or "").strip()
            code = country_code(hq) if hq else None
            if code:
                org.add_country(code, home=True)
            elif " - " in name and country_code(name.split(" - ", 1)[0]):
                org.add_country(country_code(name.split(" - ", 1)[0]), home=True)  # "Germany - Federal Foreign Office"
            elif info.get("scope") == "local":
                org.add_country("SOM", home=True)  # the index covers Somalia: a "local" organisation is Somali
            org.add_country("SOM")
            sectors = (entry.get("sectors") or {}).get("all") or {}
            for vocabulary in ("humanitarian", "dac"):
                for sector, n in (sectors.get(vocabulary) or {}).items():
                    if sector.startswith("no-corresponding") or sector in ("other-multisector", "fsc"):
                        continue
                    theme = sector.replace("-", " ")
                    org.themes[theme] += int(n)
                    for goal in find_sdgs(theme):
                        org.sdgs[goal] += int(n)
            locations = (entry.get("locations") or {}).get("all") or {}
            for level in ("admin1", "admin2"):
                for place, n in (locations.get(level) or {}).items():
                    org.locations[place] += int(n)
            for role, acts in (entry.get("activities") or {}).items():
                known = org.activities.setdefault(role, [])
                known += [a for a in acts if a not in known]
            for _scope, partners in ((entry.get("partners") or {}).get("all") or {}).items():
                for other, n in (partners or {}).items():
                    self._pending_edges.append((f"stub:{stub}", f"stub:{other}", int(n), None))
        self.index_entries += len(entries)
        self._dirty = True
        self.finalize()
        return len(entries)

    # -- finishing -------------------------------------------------------------------------------------------
    def _edge_key(self, ref: str) -> str | None:
        if ref.startswith("stub:"):
            key = self._stubs.get(ref[5:])
            return self._canon(key) if key else None
        return self._canon(ref)

    def finalize(self) -> OrgRegistry:
        """Re-key references after merges and fold pending co-occurrences into the partner graph (idempotent)."""
        if not self._dirty:
            return self
        for org in self.orgs.values():
            if any(k in self._redirect for k in org.partners):
                merged: Counter = Counter()
                for k, n in org.partners.items():
                    merged[self._canon(k)] += n
                org.partners = merged
        if self._redirect:
            rekeyed: dict[tuple[str, str], set[str]] = {}
            for (a, b), docs in self.edge_docs.items():
                pair = tuple(sorted((self._canon(a), self._canon(b))))
                if pair[0] != pair[1]:
                    rekeyed.setdefault(pair, set()).update(docs)
            self.edge_docs = rekeyed
        for a, b, n, doc_id in self._pending_edges:
            ka, kb = self._edge_key(a), self._edge_key(b)
            if not ka or not kb or ka == kb or ka not in self.orgs or kb not in self.orgs:
                continue
            if doc_id:
                self.edge_docs.setdefault(tuple(sorted((ka, kb))), set()).add(doc_id)
            # the index lists each pair from both sides: keep the larger count rather than adding them twice
            if a.startswith("stub:"):
                self.orgs[ka].partners[kb] = max(self.orgs[ka].partners[kb], n)
                self.orgs[kb].partners[ka] = max(self.orgs[kb].partners[ka], n)
            else:
                self.orgs[ka].partners[kb] += n
                self.orgs[kb].partners[ka] += n
        self._pending_edges = []
        for org in self.orgs.values():
            org.partners.pop(org.key, None)
        for doc_id, pairs in self.doc_orgs.items():
            canon: dict[str, str] = {}
            for key, role in pairs:
                canon.setdefault(self._canon(key), role)
            self.doc_orgs[doc_id] = list(canon.items())
        self._dirty = False
        return self

    # -- access ----------------------------------------------------------------------------------------------
    def get(self, key: str) -> Organisation | None:
        key = self._canon(key)
        return self.orgs.get(key) or (self.orgs.get(self._canon(self._stubs[key])) if key in self._stubs else None)

    def orgs_for_doc(self, doc_id: str) -> list[tuple[Organisation, str]]:
        return [(self.orgs[k], r) for k, r in self.doc_orgs.get(doc_id, []) if k in self.orgs]

    def neighbours(self, key: str) -> Counter:
        org = self.get(key)
        return org.partners if org else Counter()

    def worked_with(self, a: str, b: str, excluding: set[str] | frozenset = frozenset()) -> bool:
        """True when a and b are linked by evidence other than the documents in `excluding` (a co-occurrence on
        another document, or the index's partner counts)."""
        org = self.orgs.get(a)
        if org is None or b not in org.partners:
            return False
        docs = self.edge_docs.get(tuple(sorted((a, b))), set())
        return org.partners[b] - len(docs & excluding) > 0

    def __len__(self) -> int:
        return len(self.orgs)

    def __iter__(self):
        return iter(self.orgs.values())

    def __contains__(self, name: str) -> bool:
        return self.key_for(name) is not None

    # -- construction ----------------------------------------------------------------------------------------
    @classmethod
    def from_documents(
        cls,
        documents: Iterable[KnowledgeDocument] | Mapping[str, KnowledgeDocument],
        index: Path | str | Mapping | None = None,
    ) -> OrgRegistry:
        """A registry over knowledge-base documents (organisation profiles first, so their titles and acronyms
        anchor the names the solutions use), plus an optional IATI organisation index."""
        docs = list(documents.values()) if isinstance(documents, Mapping) else list(documents)
        registry = cls()
        order = {"organisation": 0, "funding": 2}
        for doc in sorted(docs, key=lambda d: (order.get(d.kind, 1), d.id)):
            registry.add_document(doc)
        if index is not None:
            registry.add_index(index)
        return registry.finalize()

    @classmethod
    def from_index(cls, source: Path | str | Mapping, *, merge_duplicates: bool = False) -> OrgRegistry:
        registry = cls()
        registry.add_index(source, merge_duplicates=merge_duplicates)
        return registry
