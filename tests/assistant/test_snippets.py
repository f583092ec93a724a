"""Snippets chosen by what is asked, complete sentences only; the facts line's unit cost kept short."""

from __future__ import annotations

from assistant.answers.compose import short_cost
from assistant.knowledge.documents import KnowledgeDocument
from assistant.retrieval.snippets import asked_for, best_snippet

BODY = """Problem
Births in remote villages go unregistered because the civil registry office is two days away.

Solution
Health workers register each birth on a phone app that sends the record to the registry the same day.

Results
In two years 9,000 births were registered and coverage rose from a third to over 70% in the district.

Please insert a link to the solution: https://example.org/app
"""


def _doc() -> KnowledgeDocument:
    return KnowledgeDocument(id="d", title="Mobile birth registration", body=BODY, provider="CivicTech Cameroun")


def test_what_a_question_asks_for():
    assert asked_for("What are the results of the mobile birth registration in Cameroon?") == "results"
    assert asked_for("Combien de ménages sont abonnés au réseau ?") == "results"
    assert asked_for("Which company is behind the app?") == "who"
    assert asked_for("Is there a grant with a deadline for water projects?") == "funding"
    assert asked_for("mobile birth registration") == "does"


def test_a_results_question_gets_the_results_sentence_and_others_what_it_does():
    doc = _doc()
    results = best_snippet(BODY, "What are the results of the mobile birth registration?", doc)
    assert results.startswith("In two years 9,000 births")
    does = best_snippet(BODY, "Quelle solution pour l'enregistrement des naissances ?", doc)
    assert does.startswith("Health workers register each birth")


def test_headings_links_and_fragments_are_never_snippets():
    doc = KnowledgeDocument(id="d2", title="Solar Cooker", body="Solution\nSolar Cooker\n\nDescription:\nhttps://x.org")
    assert best_snippet(doc.body, "solar cooker", doc) == ""


def test_a_unit_cost_sentence_is_shortened_to_its_amount():
    assert short_cost("563 $ US") == "563 $ US"
    assert short_cost("Le cout unitaire pour une famille a revenue moyen est estimé a 16500 MRU l'unité") == "16500 MRU"
    assert short_cost("Le coût unitaire dépend du besoin du client et du type de culture à irriguer") == ""
