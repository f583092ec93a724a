"""The locale files: one per supported language, every key everywhere, the same placeholders, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.text import locales
from assistant.text.language import SUPPORTED
from assistant.text.locales import LOCALES_DIR, LocaleError, phrase, placeholders, section, texts, validate


def _flat(language: str) -> dict:
    return locales._flatten(json.loads((LOCALES_DIR / f"{language}.json").read_text(encoding="utf-8")), "", language)


def test_there_is_one_locale_file_per_supported_language():
    assert sorted(p.stem for p in LOCALES_DIR.glob("*.json")) == sorted(SUPPORTED)


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_key_of_english_exists_in_every_locale(language):
    english, other = _flat("en"), _flat(language)
    assert set(other) == set(english)
    assert all(isinstance(other[key], str) == isinstance(english[key], str) for key in english)


@pytest.mark.parametrize("language", SUPPORTED)
def test_placeholders_match_english(language):
    english, other = _flat("en"), _flat(language)
    for key, value in other.items():
        if isinstance(value, str):
            assert placeholders(value) == placeholders(english[key]), (language, key)


def test_the_shipped_locales_validate_and_cover_every_language_section():
    loaded = validate()
    assert set(loaded) == set(SUPPORTED)
    for language in SUPPORTED:
        assert set(section(language, "language_names")) == set(SUPPORTED)
        assert len(texts(language, "bot_examples")) >= 2


def test_lookup_fills_placeholders_and_falls_back_to_english():
    assert phrase("fr", "answer.closest", titles="A; B") == "Les solutions les plus proches que je connais sont : A; B."
    assert phrase("xx", "bot.apology") == phrase("en", "bot.apology") == phrase(None, "bot.apology")
    assert phrase("en", "bot.ask_usage") == "Write your question after /ask, for example: /ask {example}"  # no values
    assert phrase("es", "partners.language", language="español") == "trabaja en español"
    assert section("fr", "region_names")["West Africa"] == "Afrique de l'Ouest"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, folder)
    return folder


def _edit(folder: Path, language: str, change) -> None:
    path = folder / f"{language}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_missing_key_is_named_with_its_file(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "pt", lambda data: data["bot"].pop("apology"))
    with pytest.raises(LocaleError, match=r"pt\.json: key 'bot\.apology' is missing"):
        validate(folder)


def test_a_placeholder_mismatch_is_named_with_its_file(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "sw", lambda data: data["bot"].update(too_long="Ujumbe mrefu sana ({count})."))
    with pytest.raises(LocaleError, match=r"sw\.json: key 'bot\.too_long' has placeholders \['count'\]"):
        validate(folder)


def test_an_unknown_key_a_missing_file_and_a_stray_file_are_refused(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "fr", lambda data: data["bot"].update(welcom="Bonjour"))
    with pytest.raises(LocaleError, match=r"fr\.json: key 'bot\.welcom' is not in en\.json"):
        validate(folder)
    (folder / "ar.json").unlink()
    with pytest.raises(LocaleError, match=r"ar\.json: missing"):
        validate(folder)
    (folder / "de.json").write_text("{}", encoding="utf-8")
    with pytest.raises(LocaleError, match=r"de\.json: not a language in SUPPORTED"):
        validate(folder)
