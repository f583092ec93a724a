"""Text clean-up at ingestion and the AccLabs form: entities, contacts, prompts out; facts in, and kept."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.knowledge.cleaning import clean_text, drop_contacts, unescape
from assistant.knowledge.documents import KnowledgeDocument, SolutionFacts
from assistant.knowledge.loaders import load_file
from assistant.knowledge.loaders.acclabs_form import parse_form, parse_trl
from assistant.retrieval.filters import Filters

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ACCLABS_CSV = SHARED / "undp-acclabs-africa-solutions.csv"
needs_shared = pytest.mark.skipif(not ACCLABS_CSV.exists(), reason="../shared/data (real data sets) is not present")

PROMPTS = [
    "What is the name of the solution holder? (main contact person, if multiple)",
    "What is the address and preferred way to contact the solution holder?",
    "Is this solution DIY / open source or IP protected?",
    "Does the solution holder have any institutional affiliation in country?",
    "Is this solution a prototype or product?",
    "Will the solution holder be able to train others (including end-users) in using or replicating the solution?",
    "What is the Technological Readiness Level (TRL) of this solution?",
    "If this solution is a product, is it available in the market (off the shelf) or advance order has to be given?",
    "How much has this solution already been diffused? Is there potential feedback from end-users available?",
    "What is the unit cost of this Solution along with any additional cost for maintenance and training?",
    "What is the purpose of the solution? (brief problem & solution description)",
    "Are there any other potential bottlenecks affecting cross-border or in country diffusion of this solution?",
    "What did you observe, or what did people write or say?",
    "What need does this answer?",
    "What lessons can be learned from this observation?",
    "A qui s'adresse la solution",
    "En quoi est-ce que cette solution est innovante",
    "A quel défi/problème répond cette solution",
    "Promoteur de la solution",
]
# international numbers outside links ("+256 774540865", "0022796463666")
PHONE = re.compile(r"(?<![/\w])(?:\+|00)\d{2,3}[\s().-]*\d{2,}[\d\s.-]{5,}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

FORM = """Solar egg incubator

What is the name of the solution holder? (main contact person, if multiple)
Amina Okello

What is the address and preferred way to contact the solution holder?
Plot 12 Kira Road, Kampala. Mobile +256 774 540 865 Email: amina.okello@gmail.com

Does the solution holder have any institutional affiliation in country?
Yes, Makerere University Innovation Hub

What is the purpose of the solution? (brief problem &amp;amp; solution description)
Poultry farmers lose eggs when the grid fails. Amina Okello built an incubator that runs on a 50 W solar panel&nbsp;and keeps 120 eggs at 37.5 °C.

Please upload a picture of the solution.

Is this solution DIY / open source or IP protected?
DIY / open source

Will the solution holder be able to train others (including end-users) in using or replicating the solution?
Yes

What is the unit cost of this Solution along with any additional cost for maintenance and training?
about USD 50 a unit

Is this solution a prototype or product?
Product

If this solution is a product, is it available in the market (off the shelf) or advance order has to be given?
Advance order has to be given

What is the Technological Readiness Level (TRL) of this solution?
TRL 7

How much has this solution already been diffused? Is there potential feedback from end-users available?
40 units sold to farmers in Wakiso; hatch rates went from 60% to 85%.

Are there any other potential bottlenecks affecting cross-border or in country diffusion of this solution?
Import duties on solar panels

Please add which SDGs this solution supports.
sdgs: Zero hunger
sdgs: Affordable and clean energy

Please add classification tags for this solution.
thematic_areas: poultry
farm_managemnt_systems

Please attach a consent form or add an official link to this solution.
consent: https://acclabplatforms.blob.core.windows.net/consent/uploads/x.pdf
"""


def write_form_csv(path: Path, snippet: str = "Amina Okello") -> None:
    header = ["pad_id", "title", "iso3", "country", "snippet", "content", "sdgs-tag-1", "thematic_areas-tag-1"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["9001", "Solar egg incubator", "UGA", "Uganda", snippet, FORM, "Zero hunger", "poultry"])


def test_entities_are_decoded_even_when_escaped_twice():
    assert unescape("Water &amp;amp; sanitation&nbsp;for all") == "Water & sanitation\u00a0for all"
    assert clean_text("Water &amp;amp; sanitation&nbsp;for   all") == "Water & sanitation for all"
    assert unescape("R&D stays R&D") == "R&D stays R&D"


def test_contacts_are_dropped_but_amounts_years_links_and_org_mailboxes_stay():
    text = (
        "Call +256 774540865 or (+237)69359747 or 76 24 90 56, write to jane.doe@gmail.com or info@acme.org. "
        "Sold 15000 FCFA in 2015-2020 to 506 000 users; video https://facebook.com/1296644613/videos/5946778"
    )
    cleaned = drop_contacts(text)
    for gone in ("774540865", "69359747", "76 24 90 56", "jane.doe@gmail.com"):
        assert gone not in cleaned
    for kept in ("info@acme.org", "15000 FCFA", "2015-2020", "506 000", "facebook.com/1296644613/videos/5946778"):
        assert kept in cleaned


def test_labels_left_empty_are_dropped_and_a_heading_with_content_stays():
    text = "Email: jane@yahoo.fr\nTel: +221 77 123 45 67\nKey advantages:\n- cheap\n\nContacts:"
    assert clean_text(text) == "Key advantages:\n- cheap"


@pytest.mark.parametrize(
    ("answer", "trl"),
    [("TRL 7", 7), ("TRL7", 7), ("RTL9", 9), ("(TRL.6), a prototype", 6), ("TRL 4 - TRL 5", 4), ("9. Système réel", 9)],
)
def test_trl_answers_as_written(answer, trl):
    assert parse_trl(answer) == trl


def test_trl_is_none_when_the_answer_names_no_level():
    assert parse_trl("Ready") is None and parse_trl("Tested in 2 villages") is None


def test_form_gives_facts_and_a_body_without_prompts_or_personal_contacts():
    parsed = parse_form(FORM, "Solar egg incubator")
    assert parsed.facts == SolutionFacts(
        open_source=True,
        stage="product",
        trl=7,
        trains_others=True,
        unit_cost="about USD 50 a unit",
        diffusion="40 units sold to farmers in Wakiso; hatch rates went from 60% to 85%.",
        bottlenecks="Import duties on solar panels",
        market="on order",
    )
    assert parsed.affiliation == "Makerere University Innovation Hub"
    body = parsed.body
    assert body.startswith("Poultry farmers lose eggs")
    assert "hatch rates went from 60% to 85%" in body
    for gone in ("?", "Amina", "Okello", "774", "gmail", "Kira Road", "sdgs:", "thematic_areas", "farm_managemnt"):
        assert gone not in body, gone


def test_loaded_form_record_is_clean_and_takes_the_affiliation_as_provider(tmp_path):
    path = tmp_path / "labs.csv"
    write_form_csv(path)
    (doc,) = load_file(path, "undp-acclabs")
    assert doc.facts.trl == 7 and doc.facts.stage == "product"
    assert doc.provider == "Makerere University Innovation Hub"
    assert "UNDP Accelerator Lab Uganda" in doc.partners
    # the export's snippet was the holder's name: replaced by the start of the clean body
    assert doc.summary.startswith("Poultry farmers lose eggs")
    for text in (doc.summary, doc.body):
        assert "Okello" not in text and "&" not in text and "\u00a0" not in text
        assert not PHONE.search(text) and not EMAIL.search(text)
    assert "solar panel and keeps" in doc.body


def test_facts_stay_out_of_the_embedded_text_and_survive_the_store(settings, tmp_path):
    from assistant.container import build_knowledge_base

    path = tmp_path / "labs.csv"
    write_form_csv(path)
    (loaded,) = load_file(path, "undp-acclabs")
    assert "trl" not in loaded.text().lower() and "open_source" not in loaded.text()
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([path], fmt="undp-acclabs")
    assert summary.added == 1
    chunks = kb.store.collection.get(include=["documents", "metadatas"])
    assert not any("open_source" in text or '"trl"' in text for text in chunks["documents"])
    stored = kb.documents()["9001"]
    assert stored.facts == loaded.facts and stored.facts.trl == 7


def test_fact_filters_let_through_only_documents_that_state_the_fact():
    product = KnowledgeDocument(id="a", title="A", facts=SolutionFacts(stage="product", trl=7, open_source=True))
    prototype = KnowledgeDocument(id="b", title="B", facts=SolutionFacts(stage="prototype", trl=4, trains_others=True))
    silent = KnowledgeDocument(id="c", title="C")
    docs = [product, prototype, silent]

    def ids(filters: Filters) -> list[str]:
        return [d.id for d in docs if filters.matches(d)]

    assert not Filters(min_trl=6).is_empty()
    assert ids(Filters(min_trl=6)) == ["a"]
    assert ids(Filters(stage="prototype")) == ["b"]
    assert ids(Filters(open_source=True)) == ["a"]
    assert ids(Filters(open_source=False)) == []
    assert ids(Filters(trains_others=True)) == ["b"]
    assert ids(Filters()) == ["a", "b", "c"]


@needs_shared
def test_real_acclabs_records_are_clean_and_carry_facts():
    docs = load_file(ACCLABS_CSV, "undp-acclabs")
    dirty = []
    for doc in docs:
        for text in (doc.body, doc.summary):
            lowered = text.lower()
            found = [p for p in PROMPTS if p.lower() + " ?" in lowered or p.lower() + "?" in lowered or p in text]
            if found or "&amp;" in text or "&nbsp;" in text or PHONE.search(text) or "thematic_areas:" in text:
                dirty.append((doc.id, found[:1], PHONE.findall(text)[:1]))
    assert not dirty, dirty[:5]
    coverage = Counter(name for doc in docs for name, value in doc.facts if value is not None)
    with_level = sum(1 for doc in docs if doc.facts.trl is not None or doc.facts.stage is not None)
    print(f"\n{len(docs)} records, {with_level} with a TRL or a stage; facts coverage: {dict(coverage)}")
    assert with_level >= 50
    assert coverage["open_source"] >= 50 and coverage["trains_others"] >= 50
