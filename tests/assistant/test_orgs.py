"""The organisation registry: name de-duplication, documents with roles, the IATI organisation-index importer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.knowledge.documents import KnowledgeDocument, OrgRef
from assistant.matchmaking.orgs import OrgRegistry, lab_country, name_key, split_acronym

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_INDEX = SHARED / "iati3w-somalia-org-index.json"


# -- names ---------------------------------------------------------------------------------------------------------


def test_name_key_folds_case_accents_punctuation_and_a_leading_the():
    assert name_key("Réseau Sahel Irrigation Solaire") == name_key("RESEAU  sahel irrigation-solaire")
    assert name_key("The Norwegian Refugee Council") == name_key("Norwegian Refugee Council.")
    assert name_key("Himal Microhydro Users' Federation") == "himal microhydro users federation"
    assert name_key("Save & Grow") == name_key("Save and Grow")
    assert name_key("The") == "the"  # a name that is only "the" keeps it


def test_split_acronym_patterns():
    assert split_acronym("Food and Agriculture Organization (FAO)") == ("Food and Agriculture Organization", "FAO")
    assert split_acronym("IMF/International Monetary Fund") == ("International Monetary Fund", "IMF")
    assert split_acronym("Department for International Development/DFID") == (
        "Department for International Development",
        "DFID",
    )
    # a parenthesis that is not an acronym stays part of the name
    assert split_acronym("Bolivia (Plurinational State of)") == ("Bolivia (Plurinational State of)", None)
    assert split_acronym("Maji Safi Collective") == ("Maji Safi Collective", None)


def test_acronym_and_full_name_are_one_organisation_in_either_order():
    first_short = OrgRegistry()
    fao = first_short.add_name("FAO")
    full = first_short.add_name("Food and Agriculture Organization (FAO)")
    assert fao.key == full.key and len(first_short) == 1
    assert full.name == "Food and Agriculture Organization"  # the full name wins over the bare acronym
    assert "FAO" in full.aliases

    first_full = OrgRegistry()
    full = first_full.add_name("Food and Agriculture Organization (FAO)")
    assert first_full.resolve("FAO").key == full.key
    assert first_full.resolve("food and agriculture organization").key == full.key
    assert first_full.add_name("FAO").key == full.key and len(first_full) == 1


def test_case_accents_and_the_are_one_organisation():
    registry = OrgRegistry()
    a = registry.add_name("Réseau Sahel Irrigation Solaire")
    b = registry.add_name("reseau sahel irrigation solaire")
    c = registry.add_name("The Réseau Sahel Irrigation Solaire")
    assert a.key == b.key == c.key and len(registry) == 1


def test_an_acronym_two_organisations_claim_resolves_to_neither():
    registry = OrgRegistry()
    maji = registry.add_name("Maji Safi Collective (MSC)")
    marine = registry.add_name("Marine Stewardship Council (MSC)")
    assert maji.key != marine.key and len(registry) == 2
    assert registry.resolve("MSC") is None
    assert registry.resolve("Marine Stewardship Council").key == marine.key


def test_a_bare_acronym_seen_first_becomes_ambiguous_when_two_full_names_claim_it():
    registry = OrgRegistry()
    first = registry.add_name("MSC")
    maji = registry.add_name("Maji Safi Collective (MSC)")
    assert maji.key == first.key and maji.name == "Maji Safi Collective"
    marine = registry.add_name("Marine Stewardship Council (MSC)")
    assert marine.key != maji.key
    assert registry.resolve("MSC") is None


def test_placeholders_are_not_organisations():
    registry = OrgRegistry()
    assert registry.add_name("Information Redacted") is None
    assert registry.add_name("INTERNATIONAL NGO") is None
    assert len(registry) == 0


def test_lab_country():
    assert lab_country("UNDP Accelerator Lab Kenya") == "KEN"
    assert lab_country("UNDP Accelerator Lab Côte d'Ivoire") == "CIV"
    assert lab_country("Maji Safi Collective") is None


# -- documents -------------------------------------------------------------------------------------------------------


def _documents() -> list[KnowledgeDocument]:
    return [
        KnowledgeDocument(
            id="org-rsis",
            kind="organisation",
            title="Réseau Sahel Irrigation Solaire",
            acronym="RSIS",
            org_type="network",
            countries=["NER", "BFA"],
            sdgs=[2, 7],
            themes=["irrigation", "energy"],
            offers=["formation de techniciens"],
            language="fr",
            url="https://example.org/rsis",
        ),
        KnowledgeDocument(
            id="sol-ner",
            title="Irrigation solaire",
            provider="RSIS",
            countries=["NER", "MLI"],
            partners=["Coopérative Sahel Maraîcher", "Atelier Soleil Pompes"],
            sdgs=[2, 7],
            themes=["irrigation"],
            language="fr",
        ),
        KnowledgeDocument(
            id="sol-mli",
            title="Pompes solaires au Mali",
            provider="reseau sahel irrigation solaire",
            countries=["MLI"],
            partners=["Atelier Soleil Pompes"],
            sdgs=[7],
            themes=["energy"],
            language="fr",
        ),
        KnowledgeDocument(
            id="XM-1",
            title="Vaccines for rural clinics",
            countries=["SEN"],
            sdgs=[3],
            themes=["health"],
            provider="Institut Pasteur de Dakar",
            organisations=[
                OrgRef(name="Bill and Melinda Gates Foundation", role="funding", org_type="60"),
                OrgRef(name="Institut Pasteur de Dakar", role="implementing", org_type="22"),
                OrgRef(name="Information Redacted", role="implementing"),
            ],
        ),
        KnowledgeDocument(
            id="pad-1",
            title="Plastic bricks",
            provider="UNDP Accelerator Lab Kenya",
            countries=["KEN", "UGA"],
            sdgs=[12],
            themes=["recycling"],
        ),
        KnowledgeDocument(id="sol-anon", title="A solution without any organisation", countries=["BGD"], sdgs=[13]),
        KnowledgeDocument(
            id="fund-1",
            kind="funding",
            title="Sahel fund",
            funder="Agence Téranga (ATCT)",
            countries=["SEN"],
            language="fr",
        ),
    ]


def test_registry_from_documents_links_roles_countries_and_partners():
    registry = OrgRegistry.from_documents(_documents())
    rsis = registry.resolve("RSIS")
    assert rsis is not None and rsis.name == "Réseau Sahel Irrigation Solaire"
    assert (
        registry.resolve("Réseau Sahel Irrigation Solaire").key == rsis.key
    )  # acronym, title, folded name: one record
    assert rsis.docs == {"org-rsis": {"profile"}, "sol-ner": {"provider"}, "sol-mli": {"provider"}}
    assert rsis.profile_doc == "org-rsis" and rsis.org_type == "network" and rsis.acronym == "RSIS"
    assert rsis.home == ["NER"] and set(rsis.countries) == {"NER", "BFA", "MLI"}
    assert rsis.global_south is True
    assert rsis.languages["fr"] == 3 and rsis.sdgs[7] == 3 and rsis.offers == ["formation de techniciens"]

    pumps = registry.resolve("Atelier Soleil Pompes")
    assert pumps.docs == {"sol-ner": {"partner"}, "sol-mli": {"partner"}}
    assert rsis.partners[pumps.key] == 2 and pumps.partners[rsis.key] == 2  # two solutions together
    assert registry.resolve("Coopérative Sahel Maraîcher").key in rsis.partners

    gates = registry.resolve("Bill and Melinda Gates Foundation")
    pasteur = registry.resolve("Institut Pasteur de Dakar")
    assert gates.docs == {"XM-1": {"funding"}} and pasteur.docs == {"XM-1": {"implementing"}}
    assert gates.org_type == "foundation" and pasteur.org_type == "ngo"
    assert pasteur.home == ["SEN"] and gates.home == []  # a national NGO is where it implements; a funder is not
    assert gates.global_south is None
    assert gates.key in pasteur.partners
    assert registry.resolve("Information Redacted") is None

    lab = registry.resolve("UNDP Accelerator Lab Kenya")
    assert lab.kind == "lab" and lab.home == ["KEN"]
    country = registry.get("country:BGD")
    assert country.kind == "country" and country.docs == {"sol-anon": {"provider"}}

    funder = registry.resolve("ATCT")
    assert funder.name == "Agence Téranga" and funder.docs == {"fund-1": {"funding"}}

    assert dict(registry.doc_orgs["sol-ner"])[rsis.key] == "provider"


def test_worked_with_ignores_links_that_only_come_from_the_excluded_documents():
    registry = OrgRegistry.from_documents(_documents())
    rsis, pumps = registry.resolve("RSIS").key, registry.resolve("Atelier Soleil Pompes").key
    assert registry.worked_with(rsis, pumps)
    assert registry.worked_with(rsis, pumps, {"sol-ner"})  # they also worked together on sol-mli
    assert not registry.worked_with(rsis, pumps, {"sol-ner", "sol-mli"})


# -- the IATI organisation index ----------------------------------------------------------------------------------------


def _entry(
    name,
    *,
    shortname=None,
    synonyms=(),
    hq=None,
    org_type=None,
    scope="international",
    partners=None,
    sectors=None,
    admin1=None,
    implementing=(),
    funding=(),
    unrecognised=False,
) -> dict:
    info = {
        "name": name,
        "scope": scope,
        "synonyms": list(synonyms),
        "shortname": shortname or name,
        "stub": name_key(name).replace(" ", "-"),
    }
    if unrecognised:
        info["unrecognised"] = True
    if hq or org_type:
        info["iati"] = {
            "code": "XX-1",
            "name": name,
            "codeforiati:organisation-type": org_type or "",
            "codeforiati:hq-country-or-region": hq or "",
            "status": "active",
        }
    empty_partners = {"local": {}, "regional": {}, "international": {}, "unknown": {}}
    return {
        "info": info,
        "sources": ["IATI"],
        "humanitarian": True,
        "activities": {"implementing": list(implementing), "programming": [], "funding": list(funding)},
        "partners": {
            "all": {**empty_partners, **(partners or {})},
            "3w": dict(empty_partners),
            "iati": dict(empty_partners),
        },
        "sectors": {"all": {"humanitarian": sectors or {}, "dac": {}}},
        "locations": {"all": {"admin1": admin1 or {}, "admin2": {}, "unclassified": {}}},
        "activity_totals": {"all": len(implementing) + len(funding)},
    }


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    data = {
        "fao": _entry(
            "Food and Agriculture Organization of the United Nations",
            shortname="FAO",
            synonyms=["FAO", "Food and Agriculture Organization (FAO)", "A very long description " * 10],
            hq="Italy",
            org_type="Multilateral",
            partners={"local": {"havoyoco": 2}, "international": {"nrc": 1}},
            sectors={"food-security": 3, "no-corresponding-humanitarian-cluster": 1},
            funding=["A1", "A2"],
        ),
        "nrc": _entry(
            "Norwegian Refugee Council",
            shortname="NRC",
            synonyms=["NRC"],
            hq="Norway",
            org_type="International NGO",
            partners={"international": {"fao": 1}},
            implementing=["A3"],
        ),
        "havoyoco": _entry(
            "Horn of Africa Voluntary Youth Committee",
            shortname="HAVOYOCO",
            scope="local",
            partners={"international": {"fao": 2}},
            sectors={"education": 2},
            admin1={"woqooyi-galbeed": 2},
            implementing=["A1", "A2"],
        ),
        "kenya-red-cross": _entry("Kenya Red Cross Society", hq="Kenya", org_type="National NGO"),
        "nrc-norwegian-refugee-council": _entry("NRC/Norwegian Refugee Council", scope="unknown", unrecognised=True),
    }
    path = tmp_path / "org-index.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_index_importer_reads_names_types_countries_sectors_and_the_partner_graph(small_index: Path):
    registry = OrgRegistry.from_index(small_index)
    assert registry.index_entries == 5 and len(registry) == 5
    fao = registry.resolve("FAO")
    assert fao.key == "fao" and fao.name == "Food and Agriculture Organization of the United Nations"
    assert registry.resolve("Food and Agriculture Organization (FAO)").key == "fao"
    assert not any(len(a) > 200 for a in fao.aliases)  # descriptions are not names
    assert fao.org_type == "un-agency" and fao.home == ["ITA"] and fao.global_south is False
    assert fao.themes == {"food security": 3} and 2 in fao.sdgs
    assert fao.activities["funding"] == ["A1", "A2"]

    havoyoco = registry.resolve("HAVOYOCO")
    assert havoyoco.home == ["SOM"] and havoyoco.global_south is True  # a "local" organisation of a Somalia index
    assert havoyoco.locations == {"woqooyi-galbeed": 2}
    # partner edges, read from both sides without double counting
    assert fao.partners == {"havoyoco": 2, "nrc": 1}
    assert havoyoco.partners == {"fao": 2} and registry.resolve("NRC").partners == {"fao": 1}

    kenya = registry.resolve("Kenya Red Cross Society")
    assert kenya.home == ["KEN"] and kenya.global_south is True and kenya.org_type == "ngo"

    # an unrecognised spelling stays its own entry, and names resolve to the recognised organisation
    assert registry.resolve("NRC").key == "nrc"
    assert registry.resolve("Norwegian Refugee Council").key == "nrc"
    merged = OrgRegistry.from_index(small_index, merge_duplicates=True)
    assert len(merged) == 4 and merged.get("nrc-norwegian-refugee-council").key == "nrc"


def test_index_joins_document_organisations_of_the_same_name(small_index: Path):
    docs = [
        KnowledgeDocument(
            id="XM-9",
            title="School feeding",
            countries=["SOM"],
            organisations=[
                OrgRef(name="Food and Agriculture Organization (FAO)", role="funding"),
                OrgRef(name="Horn of Africa Voluntary Youth Committee", role="implementing"),
            ],
        )
    ]
    registry = OrgRegistry.from_documents(docs, index=small_index)
    fao = registry.resolve("FAO")
    assert "XM-9" in fao.docs and "iati-index" in fao.sources
    havoyoco = registry.resolve("HAVOYOCO")
    assert fao.partners[havoyoco.key] == 2  # the index's count (2) is kept, not added to the document's (1)


@pytest.mark.skipif(not REAL_INDEX.exists(), reason="../shared/data is not available")
def test_real_iati_index():
    registry = OrgRegistry.from_index(REAL_INDEX)
    assert registry.index_entries == 1215
    assert len(registry) == 1215
    edges = sum(len(o.partners) for o in registry) // 2
    assert edges > 1000
    assert sum(1 for o in registry if len(o.partners) >= 2) > 200
    fao = registry.resolve("FAO")
    assert fao is not None and fao.partners and fao.home == ["ITA"]
    assert registry.resolve("Norwegian Refugee Council (NRC)").key == registry.resolve("NRC").key
    # edges are symmetric
    for org in list(registry)[:200]:
        for other, n in org.partners.items():
            assert registry.orgs[other].partners[org.key] == n
