"""Language detection of questions and answer text (lingua, real models)."""

from __future__ import annotations

import pytest

from assistant.text.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Qu'est-ce que le biogaz ?", "fr"),  # lingua: French 0.34, Portuguese 0.23
        ("Je suis Galaxy Assistant.", "fr"),
        ("um registro (Guiné-Bissau).", "pt"),
        ("Fin de la pobreza · ODS 2:", "es"),
        ("¿Y la financiación?", "es"),
        ("How do solar water kiosks work?", "en"),
        ("ما هي حلول الطاقة الشمسية؟", "ar"),
    ],
)
def test_a_short_text_is_detected_when_one_language_is_well_ahead(text, language):
    assert detect_language(text) == language


def test_a_near_tie_falls_back_to_the_default():
    assert detect_language("y en Kenia?", default="fr") == "fr"  # English 0.26, Spanish 0.26
    assert detect_language("biogas Tanzania") == "en"  # only the place name speaks Swahili


def test_with_a_hint_only_a_confident_detection_overrides_it():
    """A follow-up keeps the conversation's language unless it is clearly in another."""
    assert detect_language("Qu'est-ce que le biogaz ?", hint="es") == "es"
    assert detect_language("Comment fonctionnent les kiosques à eau solaires au Kenya ?", hint="es") == "fr"


QUESTIONS = [
    "How do solar water kiosks work?",
    "Comment fonctionnent les fours améliorés de fumage du poisson au Sénégal ?",
    "¿Hay soluciones de riego solar en Níger?",
    "Existe alguma solução de cisternas de água da chuva em Moçambique?",
    "et au Kenya ?",
    "y en Kenia?",
    "biogas Tanzania",
    "Habari, kuna suluhisho za biogesi Tanzania?",
    "Quelles solutions de gestion des déchets au Bénin ?",
]


def test_for_questions_the_quick_detector_decides_only_what_the_accurate_one_would():
    assert [detect_language(q, quick=True) for q in QUESTIONS] == [detect_language(q) for q in QUESTIONS]


def test_a_records_short_sentence_with_names_is_left_to_the_accurate_detector():
    """The quick mode takes it for Spanish at 0.995: a quote label would be wrong."""
    assert detect_language("Yéro, the Hero of palm oil producers.", default="en") == "en"
