"""The relevance gate's second opinion: with e5, the multilingual USE encoder's similarity between the question
and the top passages is added to e5's before a question is refused (real models, the shipped corpus)."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.container import build_second_opinion
from assistant.knowledge.profiles import RelevanceThresholds
from assistant.retrieval.second_opinion import SecondOpinion
from assistant.retrieval.signals import is_relevant


def test_the_shipped_e5_stack_consults_use_and_the_setting_turns_it_off(corpus_services):
    opinion = corpus_services.retriever.second_opinion
    assert isinstance(opinion, SecondOpinion)
    assert opinion.model.model_name == "use-multilingual-v3"
    settings = corpus_services.settings.model_copy(
        update={"embedding": corpus_services.settings.embedding.model_copy(update={"second_opinion": False})}
    )
    assert build_second_opinion(dataclasses.replace(corpus_services.kb, settings=settings)) is None


def test_use_finds_the_question_closer_to_its_passages_than_to_others(corpus_services):
    retriever = corpus_services.retriever
    result = retriever.search("Comment fonctionnent les kiosques à eau solaires ?", k=3)
    opinion = retriever.second_opinion.similarity(result.analysis.text, result.hits)
    unrelated = retriever.second_opinion.similarity("Who won the football world cup final?", result.hits)
    assert opinion > unrelated + 0.15


@pytest.mark.parametrize(
    ("question", "answerable"),
    [
        ("How do solar water kiosks work?", True),
        ("¿Cómo funcionan los quioscos de agua solares?", True),
        ("Who won the football world cup final?", False),
        ("Donne-moi une recette de poulet yassa.", False),
    ],
)
def test_the_gate_with_its_second_opinion_answers_what_the_corpus_holds(corpus_services, question, answerable):
    retriever = corpus_services.retriever
    assert retriever.is_relevant(retriever.search(question, k=8)) is answerable


def never() -> float:
    raise AssertionError("the second opinion was asked when it could not change the outcome")


def test_the_second_opinion_is_asked_only_where_e5_would_refuse(corpus_services):
    result = corpus_services.retriever.search("How do solar water kiosks work?", k=3)
    limits = RelevanceThresholds(dense=0.85, dense_with_words=0.84, coverage=0.3, with_second_opinion=1.17)
    result.top_dense, result.top_coverage = 0.86, 0.0
    assert is_relevant(result, limits, second_opinion=never)  # e5 is sure: not asked
    result.top_dense = 0.80  # below both of e5's bars
    assert is_relevant(result, limits, second_opinion=lambda: 0.38)
    assert result.second_opinion_margin == pytest.approx(0.01)  # how narrowly: the answer says "the closest"
    assert not is_relevant(result, limits, second_opinion=lambda: 0.36)
    assert not is_relevant(result, limits)  # no second opinion: e5's thresholds alone
    no_threshold = RelevanceThresholds(dense=0.85, dense_with_words=0.84, coverage=0.3)
    assert not is_relevant(result, no_threshold, second_opinion=never)
    result.hits = []
    assert not is_relevant(result, limits, second_opinion=never)  # nothing found: nothing to ask about


def test_the_second_encoders_ranking_joins_the_fusion(corpus_services):
    retriever = corpus_services.retriever
    snap = retriever.snapshot
    assert retriever.second_weight == corpus_services.settings.embedding.second_weight > 0
    assert snap.second_matrix.shape == (len(snap.chunks), 512)
    result = retriever.search("¿Cómo funcionan los quioscos de agua solares?", k=3)
    assert result.hits[0].doc.id == "sol-ken-solar-water-kiosks"


def test_ingestion_embeds_each_chunk_for_the_second_encoder_so_a_server_starts_without_it(settings, small_corpus):
    from assistant.container import build_knowledge_base, build_services

    kb = build_knowledge_base(settings)
    assert kb.ingestor.ingest([small_corpus]).added == 3
    kb.close()
    services = build_services(settings)  # a server starting on that index: its snapshot embeds nothing
    try:
        assert services.retriever.snapshot.second_matrix.shape[0] == len(services.retriever.snapshot.chunks) > 0
        assert services.kb.second_model.misses == 0
    finally:
        services.close()


def test_without_a_second_weight_the_snapshot_holds_no_second_vectors(corpus_services):
    from assistant.retrieval.retriever import Retriever

    guard_only = Retriever(corpus_services.kb, second_opinion=corpus_services.retriever.second_opinion)
    assert guard_only.snapshot.second_matrix.size == 0
    assert guard_only.embed_second("solar kiosks") is None
    assert guard_only.search("How do solar water kiosks work?", k=3).hits[0].doc.id == "sol-ken-solar-water-kiosks"


@pytest.mark.parametrize(
    ("question", "outcome"),
    [
        ("Quelle est la capitale du Japon ?", "out_of_scope"),  # no out-of-scope phrase: the examples decide
        ("¿Cuál es el mejor equipo de baloncesto de la historia?", "out_of_scope"),
        ("Are there airship freight solutions in Senegal?", "nothing_exact"),  # in scope, just absent
        ("How do solar water kiosks work?", "answered"),  # an answered question is never turned away
    ],
)
def test_a_refused_question_close_to_an_out_of_scope_example_gets_the_scope_message(corpus_services, question, outcome):
    answer = corpus_services.engine.ask(question)
    assert answer.outcome == outcome


@pytest.mark.parametrize(
    ("margin", "outcome", "opening"), [(0.01, "nothing_exact", "Rien dans"), (0.2, "answered", "Voici")]
)
def test_a_question_let_through_narrowly_is_answered_with_the_closest_records(
    corpus_services, monkeypatch, margin, outcome, opening
):
    def let_through(result):
        result.second_opinion_margin = margin
        return True

    monkeypatch.setattr(corpus_services.retriever, "is_relevant", let_through)
    answer = corpus_services.engine.ask("Comment fonctionnent les kiosques à eau solaires ?")
    assert answer.outcome == outcome and answer.citations and answer.grounded
    assert answer.text.startswith(opening)
