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


OFFICE_CSV = (
    "solution_name,nation,description,goal,lead_org\n"
    "Solar water kiosks,Kenya,Kiosks sell clean water pumped by solar panels.,6,WaterAid\n"
    ",Atlantis,Women run a savings fund.,5,\n"
)
OFFICE_MAP = ["--map", "title=solution_name", "--map", "countries=nation", "--map", "summary=description"]


def test_dry_run_catches_a_mis_mapped_csv_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    path = tmp_path / "office.csv"
    path.write_text(OFFICE_CSV, encoding="utf-8")
    guessed = galaxy(data, "ingest", str(path), "--dry-run")
    assert guessed.returncode == 0, guessed.stderr
    assert "warning: no title column" in guessed.stdout
    assert "warning: columns no field reads, kept as extra metadata: solution_name, nation, goal" in guessed.stdout
    assert "nothing was written to the index" in guessed.stdout

    mapped = galaxy(data, "ingest", str(path), "--dry-run", *OFFICE_MAP, "--map", "sdgs=goal", "--json")
    assert mapped.returncode == 0, mapped.stderr
    [preview] = json.loads(mapped.stdout)
    first = preview["rows"][0]
    assert (first["line"], first["title"], first["countries"], first["sdgs"]) == (2, "Solar water kiosks", ["KEN"], [6])
    assert first["extra"] == {"lead_org": "WaterAid"}
    assert "empty title, taken from the text: line 3" in preview["warnings"]
    assert "country values not recognised, ignored: Atlantis" in preview["warnings"]
    assert not data.exists()  # a dry run never opens the index

    bad = galaxy(data, "ingest", str(path), "--map", "titel=solution_name")
    assert bad.returncode == 2 and "Unknown field 'titel'" in bad.stderr and "Traceback" not in bad.stderr


def test_cp1252_csv_with_a_mapping_file_ingests_accents_intact_and_resorting_embeds_nothing(tmp_path):
    data = tmp_path / "data"
    rows = [
        "Fours améliorés à poisson;Sénégal;Les femmes fument le poisson avec deux fois moins de bois.",
        "Café équitable;Côte d'Ivoire;Une coopérative de caféiculteurs réduit la pénibilité du séchage.",
        '"Ligne cassée;Mali;Cette citation ne se ferme jamais.',
    ]
    path = tmp_path / "export-bureau.csv"
    path.write_bytes(("titre;pays;description\n" + "\n".join(rows) + "\n").encode("cp1252"))
    mapping = tmp_path / "bureau.yaml"
    mapping.write_text("title: titre\ncountries: pays\nsummary: description\n", encoding="utf-8")

    first = galaxy(data, "ingest", str(path), "--mapping", str(mapping))
    assert first.returncode == 1  # one row was not ingested: said, and the rest is in
    assert f"failed {path}: line 4: unterminated quote" in first.stderr
    assert "read as cp1252 (detected" in first.stderr
    listed = json.loads(galaxy(data, "list", "--json").stdout)
    assert sorted((d["title"], d["countries"][0]) for d in listed) == [
        ("Café équitable", "CIV"),
        ("Fours améliorés à poisson", "SEN"),
    ]

    path.write_bytes(("titre;pays;description\n" + "\n".join(rows[1::-1]) + "\n").encode("cp1252"))
    again = galaxy(data, "ingest", str(path), "--mapping", str(mapping), "--encoding", "cp1252", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"], summary["chunks"]) == (0, 0, 2, 0)
    assert {d["id"] for d in json.loads(galaxy(data, "list", "--json").stdout)} == {d["id"] for d in listed}
