"""Pieces of an extractive answer (`assistant.answers.compose`)."""

from __future__ import annotations

from assistant.answers.compose import quoted


def test_a_quote_holding_its_own_quotation_marks_takes_them_one_level_down():
    text = "« Mon milieu » est une application mobile qui informe les populations des risques d'inondation."
    spanish = quoted(text, "fr", "es")
    assert spanish.startswith("«“Mon milieu” est une application") and spanish.endswith("» (FR)")
    assert spanish.count("«") == spanish.count("»") == 1
    english = quoted("The “Hydro Healthy” project grows vegetables without soil, using very little water.", "en", "fr")
    assert "‘Hydro Healthy’" in english and english.startswith("« The")


def test_a_record_in_the_askers_language_is_not_marked_as_a_quote():
    text = "Des kiosques solaires vendent de l'eau potable traitée aux habitants des quartiers."
    assert quoted(text, "fr", "fr") == text
