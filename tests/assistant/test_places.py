"""Topic first, place as a preference: distances, the topic of a question, and the ordering (pure functions)."""

from __future__ import annotations

import pytest

from assistant.retrieval.places import (
    OnTopicBars,
    PlacePreference,
    asks_a_theme,
    describes_one,
    label,
    names_a_topic,
    prefer_places,
    topic_text,
    with_second_encoder,
)


def test_distance_goes_from_the_named_country_to_its_neighbours_region_and_elsewhere():
    senegal = PlacePreference.around(["SEN"])
    assert "MLI" in senegal.neighbours and "MRT" in senegal.neighbours
    distances = {code: senegal.distance([code]) for code in ("SEN", "MLI", "NER", "MAR", "PER")}
    assert distances == {"SEN": 0, "MLI": 1, "NER": 2, "MAR": 3, "PER": 4}
    assert [label(d) for d in (0, 1, 2, 3, 4)] == ["exact", "neighbour", "region", "region", "elsewhere"]
    assert senegal.distance(["PER", "MLI"]) == 1  # a record's nearest country counts


def test_the_topic_is_the_question_without_its_places():
    assert topic_text("Are there solar irrigation solutions in Senegal?") == "Are there solar irrigation solutions in ?"
    assert names_a_topic(topic_text("Are there solar irrigation solutions in Senegal?"))
    for place_only in ("Quelles solutions existent au Sénégal ?", "Show me projects from Niger", "et au Kenya ?"):
        assert not names_a_topic(topic_text(place_only)), place_only


def test_the_topic_of_an_arabic_question_is_without_its_region():
    assert topic_text("مشاريع الطاقة الشمسية بغرب أفريقيا") == "مشاريع الطاقة الشمسية"  # the clitic goes too
    assert topic_text("حلول للمياه النظيفة في الشرق الأوسط وشمال أفريقيا") == "حلول للمياه النظيفة في"
    assert topic_text("حماية الساحل من التآكل") == "حماية الساحل من التآكل"  # 'the coast', not the Sahel


def test_a_theme_is_one_sdg_named_by_most_of_the_words():
    assert asks_a_theme(topic_text("What clean energy solutions have been documented in Uganda?"), [7])
    assert not asks_a_theme(topic_text("Are there solar irrigation solutions in Senegal?"), [2, 7])
    assert not asks_a_theme(topic_text("Is there a chatbot that answers questions about elections in Kenya?"), [])


def test_a_long_description_is_a_lookup_of_one_solution():
    assert describes_one("a machine that grinds, peels and grates cassava and maize for women processors in villages")
    assert not describes_one("solar irrigation")


def _order(shares: dict[str, float], countries: dict[str, list[str]], vouched: set[str] = frozenset()):
    ranked = [(1.0 - i / 10, doc_id, i) for i, doc_id in enumerate(shares)]
    ordered, placement = prefer_places(
        ranked, countries, shares, PlacePreference.around(["SEN"]), OnTopicBars(0.6, 0.6), set(vouched)
    )
    return [doc_id for _, doc_id, _ in ordered], placement


def test_on_topic_records_come_nearest_first_and_the_places_off_topic_ones_last():
    shares = {"sen-car": 0.3, "per-pumps": 0.95, "mli-pumps": 0.7, "ner-pumps": 0.9, "ken-ai": 0.2}
    countries = {
        "sen-car": ["SEN"],
        "per-pumps": ["PER"],
        "mli-pumps": ["MLI"],
        "ner-pumps": ["NER"],
        "ken-ai": ["KEN"],
    }
    order, placement = _order(shares, countries)
    assert order == ["mli-pumps", "ner-pumps", "per-pumps", "ken-ai", "sen-car"]
    assert placement.place_has_topic is False and placement.on_topic == {"mli-pumps", "ner-pumps", "per-pumps"}


def test_the_places_own_on_topic_record_leads_and_vouched_records_count_as_on_topic():
    shares = {"mli-pumps": 0.95, "sen-pumps": 0.65, "sen-tagged": 0.1}
    countries = {"mli-pumps": ["MLI"], "sen-pumps": ["SEN"], "sen-tagged": ["SEN"]}
    order, placement = _order(shares, countries, vouched={"sen-tagged", "mli-pumps"})
    assert order == ["sen-pumps", "sen-tagged", "mli-pumps"] and placement.place_has_topic is True


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ما هي الحلول الموجودة في كينيا؟", False),
        ("هل توجد مشاريع في السنغال؟", False),
        ("ما هي حلول الطاقة الشمسية في غرب أفريقيا؟", True),
        ("كيف يمكن تحسين الري في النيجر؟", True),
    ],
)
def test_an_arabic_question_for_a_place_alone_names_no_topic(question, topic):
    """Arabic question words (ما هي, هل) and generic words (حلول, مشاريع) are not a topic, as in the other languages."""
    assert names_a_topic(topic_text(question)) is topic


def test_the_second_encoder_takes_a_named_places_off_topic_record_out_of_the_topic():
    # e5 scores everything in a narrow band: Senegal's AI platform reaches e5's bar for "solar irrigation"; USE does not.
    e5 = {"sen-ai": 0.9, "mli-pumps": 0.85, "ner-pumps": 0.8}
    use = {"sen-ai": 0.1, "mli-pumps": 1.0, "per-pumps": 0.9}
    shares = with_second_encoder(e5, use)
    assert shares["per-pumps"] == pytest.approx(0.45)  # found by USE alone: half its share
    countries = {"sen-ai": ["SEN"], "mli-pumps": ["MLI"], "ner-pumps": ["NER"], "per-pumps": ["PER"]}
    order, placement = _order(shares, countries)
    assert order[-1] == "sen-ai" and "sen-ai" not in placement.on_topic
    assert _order(e5 | {"per-pumps": 0.0}, countries)[0][0] == "sen-ai"  # e5 alone: the off-topic record leads
