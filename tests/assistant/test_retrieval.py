from __future__ import annotations

import pytest

from assistant.errors import InvalidInput
from assistant.retrieval.filters import Filters
from assistant.text.geo import REGIONS


def ids(result):
    return [h.doc.id for h in result.hits]


def test_country_and_topic_in_the_question_put_matching_documents_first(corpus_services):
    result = corpus_services.retriever.search("What solutions for clean water exist in Kenya?", k=10)
    assert result.analysis.countries == ["KEN"] and 6 in result.analysis.sdgs
    top3 = result.hits[:3]
    assert all("KEN" in h.doc.countries and 6 in h.doc.sdgs for h in top3), ids(result)
    assert {"sol-ken-solar-water-kiosks", "sol-ken-school-rainwater-handwashing"} <= set(ids(result)[:4])


def test_results_are_grouped_one_entry_per_document(corpus_services):
    result = corpus_services.retriever.search("solar energy irrigation water", k=20)
    assert len(ids(result)) == len(set(ids(result)))


@pytest.mark.parametrize(
    "question, expected",
    [
        # French question, English document
        (
            "Comment les pêcheurs protègent-ils les récifs et les poissons aux Philippines ?",
            "sol-phl-community-fish-sanctuaries",
        ),
        # English question, French document
        ("zai planting pits to restore degraded soils in Burkina Faso", "sol-bfa-zai-pits-land-restoration"),
        # Spanish question, Portuguese document
        ("cisternas para recoger agua de lluvia en el semiárido de Brasil", "sol-bra-rainwater-cisterns-semiarid"),
        # Portuguese question, Spanish document
        ("redes para capturar a neblina e obter água no Peru", "sol-per-fog-catchers-water"),
        # English question, Arabic document
        ("reusing ablution water from mosques in Jordan to irrigate gardens", "sol-jor-mosque-greywater-reuse"),
    ],
)
def test_cross_lingual_search_finds_the_document(corpus_services, question, expected):
    assert expected in ids(corpus_services.retriever.search(question, k=3))


def test_filters_restrict_results(corpus_services):
    retriever = corpus_services.retriever
    only_fr = retriever.search("solutions", k=20, filters=Filters(language="fr"))
    assert only_fr.hits and all(h.doc.language == "fr" for h in only_fr.hits)
    funding = retriever.search("grants for water projects", k=10, filters=Filters(kinds=["funding"]))
    assert funding.hits and all(h.doc.kind == "funding" for h in funding.hits)
    sdg14 = retriever.search("community projects", k=10, filters=Filters(sdgs=[14]))
    assert sdg14.hits and all(14 in h.doc.sdgs for h in sdg14.hits)
    kenya = retriever.search("water", k=10, filters=Filters(countries=["KEN"]))
    assert kenya.hits and all("KEN" in h.doc.countries for h in kenya.hits)
    sahel = retriever.search("energy", k=10, filters=Filters(region="Sahel"))
    assert sahel.hits and all(REGIONS["Sahel"].members & set(h.doc.countries) for h in sahel.hits)
    orgs = retriever.search("water", k=10, filters=Filters(kinds=["organisation"], countries=["KEN"]))
    assert ids(orgs)[0] == "org-maji-safi-collective"
    nothing = retriever.search("water", k=10, filters=Filters(countries=["ISL"]))
    assert nothing.hits == []


def test_region_named_in_the_question_is_understood(corpus_services):
    result = corpus_services.retriever.search("Quelles solutions d'énergie solaire au Sahel ?", k=5)
    assert "Sahel" in result.analysis.regions
    assert all(REGIONS["Sahel"].members & set(h.doc.countries) for h in result.hits[:3]), ids(result)


def test_unknown_region_and_empty_query_are_invalid_input(corpus_services):
    with pytest.raises(InvalidInput):
        corpus_services.retriever.search("water", filters=Filters(region="Atlantis"))
    with pytest.raises(InvalidInput):
        corpus_services.retriever.search("   ")


def test_hit_dict_has_the_api_shape(corpus_services):
    hits = corpus_services.retriever.search("atrapanieblas para agua de riego y consumo", k=3).hits
    hit = next(h for h in hits if h.doc.id == "sol-per-fog-catchers-water").to_dict()
    assert set(hit) == {"doc_id", "title", "kind", "countries", "sdgs", "score", "snippet", "url", "place_match"}
    assert hit["doc_id"] == "sol-per-fog-catchers-water" and hit["url"].startswith("https://")
    assert hit["place_match"] is None  # the question names no place


def test_a_place_without_the_topic_gets_the_topic_from_nearby_labelled(corpus_services):
    """Topic first, place as a preference: Senegal has no solar irrigation record; its neighbours and region do.
    The named place's off-topic records never come before them."""
    result = corpus_services.retriever.search("solar irrigation in Senegal", k=6)
    assert result.place_has_topic is False
    top = result.hits[:2]
    assert {h.doc.id for h in top} == {"org-reseau-sahel-irrigation-solaire", "sol-ner-solar-irrigation-market-gardens"}
    assert [h.place_match for h in top] == ["neighbour", "region"]
    assert all(h.on_topic for h in top)
    senegal_off_topic = [i for i, h in enumerate(result.hits) if "SEN" in h.doc.countries]
    assert all(i >= 2 and not result.hits[i].on_topic for i in senegal_off_topic)


def test_a_place_with_the_topic_comes_first_as_exact(corpus_services):
    result = corpus_services.retriever.search("water solutions in Kenya", k=5)
    assert result.place_has_topic is True
    assert result.hits[0].place_match == "exact" and "KEN" in result.hits[0].doc.countries
    assert "sol-ken-solar-water-kiosks" in [h.doc.id for h in result.hits[:3]]


def test_a_place_alone_lists_its_own_records(corpus_services):
    result = corpus_services.retriever.search("solutions in Kenya", k=4)
    assert result.place_has_topic is None  # no topic named: the place's records, boosted as before
    assert all("KEN" in h.doc.countries for h in result.hits[:4])


def test_dense_ranking_is_exact_over_the_stored_vectors(corpus_services):
    """Every chunk can be found: the dense ranking is a brute-force scan of Chroma's own vectors, each cosine
    centred on the question's mean cosine to the chunks of its language (all chunks, for small languages)."""
    import numpy as np

    from assistant.retrieval.index import MIN_CHUNKS_FOR_LANGUAGE_MEAN

    retriever = corpus_services.retriever
    stored = corpus_services.kb.store.collection.get(include=["embeddings", "metadatas"])
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = retriever.embed_query("cooling milk with solar power for herders")
    cosines = vectors @ np.asarray(query, dtype=np.float32)
    languages = np.array([retriever.documents[m["doc_id"]].language for m in stored["metadatas"]])
    centred = cosines - cosines.mean()
    for language in set(languages):
        mine = languages == language
        if mine.sum() >= MIN_CHUNKS_FOR_LANGUAGE_MEAN:
            centred[mine] = cosines[mine] - cosines[mine].mean()
    assert len(set(languages)) > 1
    expected = [stored["ids"][i] for i in np.argsort(-centred, kind="stable")]
    got = retriever._dense(query, None, len(expected))
    assert [chunk_id for chunk_id, _ in got] == expected
    by_id = dict(zip(stored["ids"], cosines, strict=True))
    assert all(abs(cosine - by_id[chunk_id]) < 1e-5 for chunk_id, cosine in got)  # raw cosines come back
    kenyan = {d for d, doc in retriever.documents.items() if "KEN" in doc.countries}
    only_kenya = retriever._dense(query, kenyan, 5)
    assert only_kenya and {retriever.chunks[retriever.chunk_index[c]].doc_id for c, _ in only_kenya} <= kenyan
