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
records ("UNDP Accelerator Lab <Country>") are kind "lab", placed in the lab's country. Names are read by
assistant.matchmaking.names, records are `Organisation`s (.organisation), the index is parsed by .iati_index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import combinations
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.matchmaking.iati_index import (
    IATI_ORG_TYPES,
    LOCAL_IATI_TYPES,
    MAX_ALIAS_WORDS,
    Edge,
    IndexEntry,
    apply_entry,
    partner_edges,
    read_index,
)
from assistant.matchmaking.names import is_placeholder, lab_country, looks_like_acronym, name_key, slug, split_acronym
from assistant.matchmaking.organisation import Organisation, merge_into
from assistant.text.geo import country_name

#: Names tests and bench/partners_eval.py import from here.
__all__ = ["OrgRegistry", "Organisation", "lab_country", "name_key", "split_acronym"]

#: Claim strengths of names and acronyms: a primary name or declared acronym (organisation document, the index's
#: recognised entries) over a synonym, over a name from the index's unrecognised entries.
STRONG, SYNONYM, WEAK = 3, 2, 1


def _pair(a: str, b: str) -> tuple[str, str]:
    """The key of a link in `edge_docs`: its two ends in order."""
    return (a, b) if a <= b else (b, a)


class OrgRegistry:
    """All organisations, de-duplicated, with their documents, roles and partner graph."""

    def __init__(self) -> None:
        self.orgs: dict[str, Organisation] = {}
        self._names: dict[str, tuple[str, int]] = {}  # name key -> (org key, claim strength)
        #: acronym key -> (org key, or None when two organisations claim it; claim strength)
        self._acronyms: dict[str, tuple[str | None, int]] = {}
        self._redirect: dict[str, str] = {}  # merged-away key -> surviving key
        self._stubs: dict[str, str] = {}  # index stub -> org key
        #: doc_id -> [(org key, role)] for every document that names an organisation (or stands for a country/lab).
        self.doc_orgs: dict[str, list[tuple[str, str]]] = {}
        self._pending_edges: list[Edge] = []
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
        merge_into(self.orgs[keep], self.orgs.pop(drop))
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
        found = self._find(name, full, acronym, bare_acronym)
        if found is None:
            org = Organisation(key=self._new_key(key or slug(full)), name=full, kind=kind)
            self.orgs[org.key] = org
            found = org.key
        org = self.orgs[found]
        self._learn(org, name, full, acronym, bare_acronym)
        org.org_type = org.org_type or org_type
        org.sources.add(source)
        if kind != "organisation" and org.kind == "organisation" and not org.profile_doc and source == "documents":
            org.kind = kind
        return org

    def _find(self, name: str, full: str, acronym: str | None, bare_acronym: bool) -> str | None:
        """The organisation a name refers to, merging the records its full name and its acronym point to when
        they are the same organisation."""
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
        return found

    def _learn(self, org: Organisation, name: str, full: str, acronym: str | None, bare_acronym: bool) -> None:
        """Add a name to its organisation's record (a full name replaces a bare acronym as its name) and claim it."""
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

    def _country_entity(self, code: str) -> Organisation:
        key = f"country:{code}"
        if key not in self.orgs:
            self.orgs[key] = Organisation(key=key, name=country_name(code), kind="country")
            self.orgs[key].add_country(code, home=True)
        return self.orgs[key]

    # -- documents -------------------------------------------------------------------------------------------
    # -- documents -------------------------------------------------------------------------------------------
    def add_document(self, doc: KnowledgeDocument) -> None:
        """Register every organisation a document names, with its role there."""
        involved: list[tuple[Organisation, str]] = []
        if doc.kind == "organisation":
            self._add_profile(doc, involved)
        elif doc.kind == "funding":
            if doc.funder:
                _attach(doc, self.add_name(doc.funder), "funding", involved)
        elif doc.organisations:
            self._add_participants(doc, involved)
        else:
            self._add_provider_and_partners(doc, involved)
        if doc.kind not in ("organisation", "funding") and not involved and doc.countries:
            _attach(doc, self._country_entity(doc.countries[0]), "provider", involved)
        self._link(doc, involved)

    def _add_profile(self, doc: KnowledgeDocument, involved: list[tuple[Organisation, str]]) -> None:
        org = self.add_name(doc.title, org_type=doc.org_type, acronym=doc.acronym)
        if org is None:
            return
        org.profile_doc = doc.id
        org.kind = "organisation"
        org.url = org.url or doc.url
        for i, code in enumerate(doc.countries):
            org.add_country(code, home=i == 0)
        org.offers += [o for o in doc.offers if o not in org.offers]
        _attach(doc, org, "profile", involved)

    def _add_participants(self, doc: KnowledgeDocument, involved: list[tuple[Organisation, str]]) -> None:
        """An IATI activity's participating organisations, with their roles."""
        for ref in doc.organisations:
            org = self.add_name(ref.name, org_type=IATI_ORG_TYPES.get(ref.org_type or ""))
            if org is None:
                continue
            local = ref.org_type in LOCAL_IATI_TYPES and ref.role == "implementing"
            for code in doc.countries:
                org.add_country(code, home=local and not org.hq_known)
            _attach(doc, org, ref.role or "partner", involved)

    def _add_provider_and_partners(self, doc: KnowledgeDocument, involved: list[tuple[Organisation, str]]) -> None:
        """A solution's provider (a lab is placed in its country) and partners."""
        if doc.provider:
            code = lab_country(doc.provider)
            org = self.add_name(doc.provider, kind="lab" if code else "organisation")
            if org is not None:
                if code:
                    org.add_country(code, home=True)
                elif doc.countries:  # a solution starts where its provider is, unless its profile says otherwise
                    org.add_country(doc.countries[0], home=not org.hq_known)
                for c in doc.countries:
                    org.add_country(c)
                _attach(doc, org, "provider", involved)
        for partner in doc.partners:
            org = self.add_name(partner)
            if org is not None:
                for c in doc.countries:
                    org.add_country(c)
                _attach(doc, org, "partner", involved)

    def _link(self, doc: KnowledgeDocument, involved: list[tuple[Organisation, str]]) -> None:
        """Record who is on the document (one role each) and link a solution's co-participants."""
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
        entries = read_index(source)
        for entry in entries:
            org = self._index_record(entry, merge_duplicates)
            self._stubs[entry.stub] = org.key
            self._claim_index_names(org, entry)
            apply_entry(org, entry)
            self._pending_edges += partner_edges(entry)
        self.index_entries += len(entries)
        self._dirty = True
        self.finalize()
        return len(entries)

    def _index_record(self, entry: IndexEntry, merge_duplicates: bool) -> Organisation:
        """The record an index entry joins: the same organisation already known under any of its full names
        (acronyms alone are not enough: two organisations can share one; another index entry only when merging
        duplicates), else a new record."""
        existing = None
        for candidate in entry.names:
            if not candidate or looks_like_acronym(candidate):
                continue
            found = self._lookup(candidate) or self._lookup(split_acronym(candidate)[0])
            if found and ("iati-index" not in self.orgs[found].sources or (entry.weak and merge_duplicates)):
                existing = self.merge(existing, found) if existing else found
        if not existing:
            org = Organisation(
                key=self._new_key(entry.stub), name=entry.name, org_type=entry.org_type, sources={"iati-index"}
            )
            self.orgs[org.key] = org
            return org
        org = self.orgs[existing]
        org.sources.add("iati-index")
        if name_key(entry.name) != name_key(org.name) and entry.name not in org.aliases:
            org.aliases.append(entry.name)
        return org

    def _claim_index_names(self, org: Organisation, entry: IndexEntry) -> None:
        """Let the entry's name, acronym, short name and synonyms point to its record (weaker claims for an
        unrecognised entry, so that a name resolves to the recognised organisation)."""
        primary, synonym = (WEAK, WEAK) if entry.weak else (STRONG, SYNONYM)
        self._claim_name(entry.name, org.key, primary)
        full, acronym = split_acronym(entry.name)
        if acronym:
            org.acronym = org.acronym or acronym
            self._claim_acronym(acronym, org.key, primary)
            self._claim_name(full, org.key, primary)
        for alias, strength in [(entry.shortname, primary)] + [(s, synonym) for s in entry.synonyms]:
            if alias and len(alias.split()) <= MAX_ALIAS_WORDS and not is_placeholder(alias):
                self._claim_alias(org, alias, strength)

    def _claim_alias(self, org: Organisation, alias: str, strength: int) -> None:
        if looks_like_acronym(alias):
            org.acronym = org.acronym or alias
            self._claim_acronym(alias, org.key, strength)
        else:
            alias_full, alias_acronym = split_acronym(alias)
            self._claim_name(alias, org.key, strength)
            self._claim_name(alias_full, org.key, strength)
            if alias_acronym:
                self._claim_acronym(alias_acronym, org.key, strength)
        if name_key(alias) != name_key(org.name) and alias not in org.aliases:
            org.aliases.append(alias)

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
        self._rekey_links()
        self._fold_pending_edges()
        for org in self.orgs.values():
            org.partners.pop(org.key, None)
        for doc_id, pairs in self.doc_orgs.items():
            canon: dict[str, str] = {}
            for key, role in pairs:
                canon.setdefault(self._canon(key), role)
            self.doc_orgs[doc_id] = list(canon.items())
        self._dirty = False
        return self

    def _rekey_links(self) -> None:
        """Partner-graph links and their documents under the keys that survived the merges."""
        for org in self.orgs.values():
            if any(k in self._redirect for k in org.partners):
                merged: Counter = Counter()
                for k, n in org.partners.items():
                    merged[self._canon(k)] += n
                org.partners = merged
        if self._redirect:
            rekeyed: dict[tuple[str, str], set[str]] = {}
            for (a, b), docs in self.edge_docs.items():
                pair = _pair(self._canon(a), self._canon(b))
                if pair[0] != pair[1]:
                    rekeyed.setdefault(pair, set()).update(docs)
            self.edge_docs = rekeyed

    def _fold_pending_edges(self) -> None:
        for a, b, n, doc_id in self._pending_edges:
            ka, kb = self._edge_key(a), self._edge_key(b)
            if not ka or not kb or ka == kb or ka not in self.orgs or kb not in self.orgs:
                continue
            if doc_id:
                self.edge_docs.setdefault(_pair(ka, kb), set()).add(doc_id)
            # the index lists each pair from both sides: keep the larger count rather than adding them twice
            if a.startswith("stub:"):
                self.orgs[ka].partners[kb] = max(self.orgs[ka].partners[kb], n)
                self.orgs[kb].partners[ka] = max(self.orgs[kb].partners[ka], n)
            else:
                self.orgs[ka].partners[kb] += n
                self.orgs[kb].partners[ka] += n
        self._pending_edges = []

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
        docs = self.edge_docs.get(_pair(a, b), set())
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


def _attach(
    doc: KnowledgeDocument, org: Organisation | None, role: str, involved: list[tuple[Organisation, str]]
) -> None:
    """Note that `org` holds `role` on `doc`; its languages, SDGs and themes grow with the document (a funding
    record counts only for its funder)."""
    if org is None:
        return
    org.docs.setdefault(doc.id, set()).add(role)
    if doc.kind != "funding" or role == "funding":
        org.languages[doc.language] += 1
        org.sdgs.update(doc.sdgs)
        org.themes.update(doc.themes)
    involved.append((org, role))
