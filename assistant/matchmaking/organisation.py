"""One organisation's record in the registry (assistant.matchmaking.orgs), and how two records of the same
organisation merge."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from assistant.matchmaking.names import looks_like_acronym
from assistant.text.geo import COUNTRIES

#: Roles an organisation can hold on a document; "profile" is its own organisation document.
ROLES = ("profile", "provider", "implementing", "funding", "accountable", "extending", "reporting", "partner")


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


def merge_into(target: Organisation, other: Organisation) -> None:
    """Fold `other` (the same organisation under another name) into `target`."""
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
