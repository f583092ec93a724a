"""Partner matchmaking: the scoring function, and suggestions over the shipped corpus (real model, real index)."""

from __future__ import annotations

import json

import pytest

from assistant.matchmaking.partners import (
    SAME_REGION_FACTOR,
    SOUTH_FACTOR,
    PartnerFinder,
    Signals,
    Weights,
    apply_graph_signal,
    asks_for_money,
    asks_for_partners,
    context_fit,
    money_topic,
    score_candidate,
)
from cli.render import partners_command_output

NIGER_NEED = "who could help us set up solar irrigation in Niger?"
RSIS = "Réseau Sahel Irrigation Solaire"

# -- the scoring function (no model needed) ------------------------------------------------------------------------------


def test_relevance_has_diminishing_returns_and_a_floor():
    one = score_candidate(Signals(relevances=[0.8]))
    two = score_candidate(Signals(relevances=[0.8, 0.8]))
    three = score_candidate(Signals(relevances=[0.8, 0.8, 0.8]))
    assert one < two < three
    assert two - one > three - two  # each extra document adds less
    assert score_candidate(Signals(relevances=[0.1, 0.1])) == 0.0  # below the relevance floor
    # bonuses never create relevance
    assert (
        score_candidate(
            Signals(
                relevances=[0.1],
                sdg=1,
                theme=1,
                matches=9,
                language=1,
                graph=1,
                graph_unit=5,
                south=True,
                context="same-region",
            )
        )
        == 0.0
    )


def test_south_and_context_factors_and_weight_overrides():
    base = Signals(relevances=[0.8])
    plain = score_candidate(base)
    assert score_candidate(Signals(relevances=[0.8], south=True)) == pytest.approx(plain * SOUTH_FACTOR)
    assert score_candidate(Signals(relevances=[0.8], context="same-region")) == pytest.approx(
        plain * SAME_REGION_FACTOR
    )
    assert (
        plain
        < score_candidate(Signals(relevances=[0.8], context="similar"))
        < score_candidate(Signals(relevances=[0.8], context="same-region"))
    )
    assert score_candidate(Signals(relevances=[0.8], south=True), Weights().with_overrides(south=1.0)) == pytest.approx(
        plain
    )
    with pytest.raises(TypeError):
        Weights().with_overrides(southness=2)


def test_graph_signal_rewards_partners_of_the_top_matches_and_of_the_seeker():
    signals = {"a": Signals(relevances=[0.9]), "b": Signals(relevances=[0.5]), "c": Signals(relevances=[0.5])}
    graph = {"a": {"b"}, "b": {"a"}, "c": {"x"}, "x": {"c"}}
    apply_graph_signal(signals, lambda key: graph.get(key, ()), Weights())
    assert signals["b"].graph > 0 and signals["c"].graph == 0
    assert score_candidate(signals["b"]) > score_candidate(signals["c"])
    apply_graph_signal(signals, lambda key: graph.get(key, ()), Weights(), seeker_partners={"x"})
    assert signals["c"].graph == 1.0  # it already works with the seeker's only partner
    # a link that only exists on the documents matched for this need is not independent evidence
    apply_graph_signal(signals, lambda key: graph.get(key, ()), Weights(), independent=lambda a, b: False)
    assert signals["b"].graph == 0


def test_context_fit():
    assert context_fit(["NER"], {"BFA"}) == "same-region"  # both West Africa
    assert context_fit(["KEN"], {"BFA"}) == "similar"  # both (Sub-Saharan) Africa
    assert context_fit(["BGD"], {"BFA"}) is None
    assert context_fit(["NER"], set()) is None


def test_money_and_partner_questions():
    assert asks_for_money("qui finance l'irrigation solaire au Sahel ?")
    assert asks_for_money("Who funds clinics? Any grants for rural health?")
    assert asks_for_money("¿Hay subvenciones para el agua potable?")
    assert not asks_for_money("who can help with mobile money for farmers")
    assert not asks_for_money("financial inclusion for informal traders")
    assert asks_for_partners(NIGER_NEED) and not asks_for_partners("solar irrigation in Niger")
    assert money_topic("grants for solar irrigation") == "for solar irrigation"
    assert money_topic("Funding") == "Funding"  # nothing left: keep the need


# -- over the shipped corpus ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finder(corpus_services) -> PartnerFinder:
    return corpus_services.partners


def _names(result) -> list[str]:
    return [p.name for p in result.partners]


def test_solar_irrigation_in_niger_suggests_the_sahel_network_first(finder, corpus_services):
    result = finder.suggest(NIGER_NEED)
    top = result.partners[0]
    assert top.name == RSIS and top.kind == "organisation"
    assert top.countries[0] == "NER"
    assert top.reason and len(top.reason) < 400
    documents = corpus_services.retriever.documents
    cited = [c.doc_id for c in top.citations]
    assert "sol-ner-solar-irrigation-market-gardens" in cited
    assert all(c in documents and documents[c].title == t.title for c, t in zip(cited, top.citations, strict=True))
    assert top.citations[0].url.startswith("https://galaxy.example.org/")
    as_dict = result.to_dict()
    assert set(as_dict) == {"partners", "funding"}
    assert set(as_dict["partners"][0]) == {"name", "kind", "countries", "score", "reason", "citations"}
    assert as_dict["funding"] == []  # the need does not ask for money
    scores = [p.score for p in result.partners]
    assert scores == sorted(scores, reverse=True) and len(result.partners) <= 5


@pytest.mark.parametrize(
    "seeker_org", ["RSIS", "reseau sahel irrigation solaire", "The Réseau Sahel Irrigation Solaire"]
)
def test_the_seekers_own_organisation_is_never_suggested(finder, seeker_org):
    result = finder.suggest(NIGER_NEED, seeker_org=seeker_org, k=10)
    assert RSIS not in _names(result)
    assert result.partners  # others still are


def test_a_seeker_in_the_same_region_ranks_a_same_region_provider_up(finder):
    need = "solar irrigation for vegetable growers"
    without = finder.suggest(need, k=10)
    within = finder.suggest(need, seeker_country="BGD", k=10)
    delta = "Delta Adaptation Research Lab"  # based in Bangladesh
    keepfresh = "KeepFresh Savanna Ltd"  # based in Ghana: another region
    assert _names(within).index(delta) < _names(without).index(delta)
    assert _names(within).index(delta) < _names(within).index(keepfresh)
    score = {p.name: p.score for p in without.partners}
    score_bgd = {p.name: p.score for p in within.partners}
    assert score_bgd[delta] > score[delta]
    assert score_bgd[keepfresh] == pytest.approx(score[keepfresh])
    assert "same region" in next(p.reason for p in within.partners if p.name == delta).lower()


def test_who_funds_solar_irrigation_in_the_sahel_in_french(finder):
    result = finder.suggest("qui finance l'irrigation solaire au Sahel ?")
    funding_ids = [f["doc_id"] for f in result.funding]
    assert funding_ids and funding_ids[0] == "fund-fonds-sahel-innovation-climat"
    sahel = result.funding[0]
    assert set(sahel) == {"doc_id", "title", "funder", "amount", "deadline", "url", "reason"}
    assert sahel["funder"] == "Agence Téranga de Coopération Technique" and sahel["deadline"] == "2027-11-30"
    assert "date limite" in sahel["reason"]  # explained in the need's language
    assert result.partners[0].name == RSIS
    assert "solution(s) correspondante(s)" in result.partners[0].reason


def test_funding_follows_the_topic_not_the_money_words(finder):
    ids = [f["doc_id"] for f in finder.suggest("grants for solar irrigation").funding]
    assert "fund-fonds-sahel-innovation-climat" in ids
    assert "fund-pacific-blue-resilience-grants" not in ids  # "grants" in its title is no reason to list it
    assert finder.suggest("grants for solar irrigation", with_funding=False).funding == []


@pytest.mark.parametrize(
    "need", ["how do I bake sourdough bread at home?", "We need partners for quantum computing chip fabrication"]
)
def test_nothing_relevant_gives_no_suggestion(finder, need):
    result = finder.suggest(need)
    assert result.partners == [] and result.funding == []


def test_results_are_deterministic(finder):
    first = finder.suggest("mangrove restoration with fishing communities", seeker_country="MOZ").to_dict()
    second = finder.suggest("mangrove restoration with fishing communities", seeker_country="MOZ").to_dict()
    assert first == second and first["partners"]


def test_registry_is_built_once_and_rebuilt_after_a_refresh(finder, corpus_services):
    registry = finder.registry
    finder.suggest(NIGER_NEED)
    assert finder.registry is registry
    assert registry.resolve("RSIS").profile_doc == "org-reseau-sahel-irrigation-solaire"
    corpus_services.refresh()
    assert finder.registry is not registry


def test_answer_hook_and_cli_output(finder, corpus_services):
    assert finder.for_answer("solar irrigation in Niger", None) == []  # not asking for partners
    attached = finder.for_answer(NIGER_NEED, None)
    assert 1 <= len(attached) <= 3 and attached[0]["name"] == RSIS
    text = partners_command_output(corpus_services, "qui finance l'irrigation solaire au Sahel ?", None, False)
    assert RSIS in text and "Financements" in text and "fund-fonds-sahel-innovation-climat" in text
    data = json.loads(partners_command_output(corpus_services, NIGER_NEED, "BFA", True))
    assert data["partners"][0]["name"] == RSIS


def test_a_fund_open_only_to_other_countries_is_not_offered():
    from assistant.knowledge.documents import KnowledgeDocument
    from assistant.matchmaking.funding import eligible

    andean = KnowledgeDocument(id="f1", kind="funding", title="Andean water fund", countries=["PER", "BOL", "ECU"])
    assert not eligible(andean, {"KEN"}) and eligible(andean, {"PER"}) and eligible(andean, set())
    says_so = andean.model_copy(update={"eligibility": "Applicants from East Africa may also apply."})
    assert eligible(says_so, {"KEN"})
    anyone = KnowledgeDocument(id="f2", kind="funding", title="Global fund", countries=[])
    assert eligible(anyone, {"KEN"})
