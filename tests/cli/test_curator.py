"""The curator's commands: ingest reporting, list and delete."""

from __future__ import annotations

import json

from tests.cli.test_cli import galaxy


def test_empty_folder_is_a_failure_with_a_message(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = galaxy(tmp_path / "data", "ingest", str(empty))
    assert result.returncode == 1
    assert f"failed {empty}: no supported files" in result.stderr
    assert "skipped" not in result.stdout + result.stderr


def test_list_filters_and_delete_removes_with_clear_not_found(tmp_path, small_corpus):
    data = tmp_path / "data"
    assert galaxy(data, "ingest", str(small_corpus)).returncode == 0
    listed = json.loads(galaxy(data, "list", "--country", "Senegal", "--json").stdout)
    assert [d["id"] for d in listed] == ["sol-sen-fish-ovens"]

    deleted = galaxy(data, "delete", "sol-sen-fish-ovens")
    assert deleted.returncode == 0 and "deleted 1" in deleted.stdout
    remaining = {d["id"] for d in json.loads(galaxy(data, "list", "--json").stdout)}
    assert remaining == {"sol-ken-water-kiosks", "sol-bfa-zai"}

    again = galaxy(data, "delete", "sol-sen-fish-ovens")
    assert again.returncode == 2 and "sol-sen-fish-ovens" in again.stderr and "Traceback" not in again.stderr
    stats = json.loads(galaxy(data, "stats", "--json").stdout)
    assert stats["documents"] == 2 and stats["generation"] == 2
