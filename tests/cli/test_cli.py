from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def galaxy(data_dir, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "GALAXY_DATA_DIR": str(data_dir), "GALAXY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_search_ask_and_partners_print_the_documented_json(corpus_data_dir):
    search = galaxy(corpus_data_dir, "search", "clean water in Kenya", "--k", "3", "--country", "KEN", "--json")
    assert search.returncode == 0, search.stderr
    hits = json.loads(search.stdout)["hits"]
    assert len(hits) == 3 and all("KEN" in h["countries"] for h in hits)
    assert set(hits[0]) == {"doc_id", "title", "kind", "countries", "sdgs", "score", "snippet", "url", "place_match"}

    ask = galaxy(corpus_data_dir, "ask", "Comment fonctionnent les fours améliorés de fumage du poisson ?", "--json")
    answer = json.loads(ask.stdout)
    assert answer["language"] == "fr" and answer["grounded"] is True
    assert answer["citations"][0]["doc_id"] == "sol-sen-improved-fish-smoking-ovens"
    assert "[1]" in answer["answer"]

    partners = galaxy(corpus_data_dir, "partners", "who could help us set up solar irrigation in Niger?", "--json")
    result = json.loads(partners.stdout)
    assert set(result) == {"partners", "funding"}
    top = result["partners"][0]
    assert {"name", "kind", "countries", "score", "reason", "citations"} <= set(top)
    assert top["citations"] and top["reason"]


def test_bad_cli_input_is_a_clear_error(corpus_data_dir):
    bad_country = galaxy(corpus_data_dir, "search", "water", "--country", "Atlantis")
    assert bad_country.returncode == 2 and "unknown country 'Atlantis'" in bad_country.stderr
    bad_format = galaxy(corpus_data_dir, "ingest", "corpus", "--format", "xls")
    assert bad_format.returncode == 2 and "unknown format" in bad_format.stderr
    assert "Traceback" not in bad_country.stderr + bad_format.stderr


def test_unusable_data_dir_is_a_clear_error_naming_the_path(tmp_path):
    not_a_dir = tmp_path / "data-file"
    not_a_dir.write_text("I am a file, not a folder")
    for command in (["stats"], ["search", "water"], ["serve", "--port", "0"]):
        result = galaxy(not_a_dir, *command)
        assert result.returncode == 2, (command, result.stderr)
        assert str(not_a_dir) in result.stderr and "cannot be used" in result.stderr
        assert "Traceback" not in result.stderr
