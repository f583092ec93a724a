"""Curators' spreadsheets (CSV and XLSX files written here): column mappings and extra columns, malformed rows by
line number, encodings, stable ids (a re-sorted file re-embeds nothing) and the dry run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.container import build_knowledge_base
from assistant.errors import InvalidInput, LoadError
from assistant.knowledge.documents import KnowledgeDocument, extra_from_metadata
from assistant.knowledge.loaders import detect_format, load_file, load_paths
from assistant.knowledge.loaders.csv_mapping import curator_mapping
from assistant.knowledge.loaders.preview import preview_file

OFFICE_HEADER = "ref,solution_name,nation,description,goal,lead_org"
OFFICE_ROWS = [
    "K-1,Solar water kiosks,Kenya,Kiosks sell clean water pumped by solar panels.,6,WaterAid",
    "S-2,Improved fish-smoking ovens,Senegal,Ovens halve the firewood women processors use.,14,FAO",
    "B-3,Zaï pits,Burkina Faso,Farmers dig planting pits that hold rain water.,2;15,INERA",
]
OFFICE_MAP = ["title=solution_name", "countries=nation", "summary=description", "sdgs=goal", "id=ref"]


def write_csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


# mapping and extra columns ----------------------------------------------------------------------------------


def test_mapping_reads_office_columns_and_keeps_unmapped_ones_as_extra(tmp_path):
    path = write_csv(tmp_path / "office.csv", OFFICE_HEADER, OFFICE_ROWS)
    docs = load_file(path, csv_mapping=curator_mapping(OFFICE_MAP))
    first = docs[0]
    assert (first.id, first.title, first.countries, first.sdgs) == ("K-1", "Solar water kiosks", ["KEN"], [6])
    assert first.summary == "Kiosks sell clean water pumped by solar panels."
    assert first.extra == {"lead_org": "WaterAid"}
    assert docs[2].sdgs == [2, 15] and docs[2].countries == ["BFA"]

    # extra survives the manifest (model dump) and the chunk metadata (a JSON string: Chroma takes scalars only)
    assert KnowledgeDocument.model_validate(first.model_dump(mode="json")).extra == {"lead_org": "WaterAid"}
    metadata = first.chunk_metadata()
    assert isinstance(metadata["extra"], str)
    assert extra_from_metadata(metadata) == {"lead_org": "WaterAid"}


def test_documents_without_extra_keep_the_metadata_they_had():
    doc = KnowledgeDocument(id="x", title="Water kiosks")
    assert "extra" not in doc.chunk_metadata()  # same metadata, so the same hash: nothing re-embedded
    assert extra_from_metadata(doc.chunk_metadata()) == {}
    assert KnowledgeDocument.model_validate({"id": "old", "title": "Stored before extra existed"}).extra == {}


def test_mapping_file_with_map_overrides_and_guessed_fields(tmp_path):
    path = write_csv(tmp_path / "office.csv", OFFICE_HEADER + ",country", [r + ",Ghana" for r in OFFICE_ROWS])
    saved = tmp_path / "office-mapping.yaml"
    saved.write_text("title: solution_name\nsdgs: goal\nid: ref\nkind: solution\n", encoding="utf-8")
    docs = load_file(path, csv_mapping=curator_mapping(["summary=description"], saved))
    # "country" is guessed from its name; "nation" is then a column no field reads
    assert docs[0].countries == ["GHA"] and docs[0].summary.startswith("Kiosks sell")
    assert docs[0].extra == {"nation": "Kenya", "lead_org": "WaterAid"}
    both = load_file(path, csv_mapping=curator_mapping(["countries=nation", "countries=country"], saved))
    assert both[0].countries == ["KEN", "GHA"]


@pytest.mark.parametrize(
    ("pairs", "yaml_text", "expected"),
    [
        (["titel=solution_name"], None, "Unknown field 'titel'"),
        (["title"], None, "FIELD=COLUMN"),
        (["kind=project"], None, "kind must be one of"),
        ([], "title: [1, 2]\n", "takes a column name"),
        ([], "- title\n", "must map fields to columns"),
        ([], "title: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_mappings_are_clear_errors(tmp_path, pairs, yaml_text, expected):
    saved = None
    if yaml_text is not None:
        saved = tmp_path / "mapping.yaml"
        saved.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        curator_mapping(pairs, saved)
    assert expected in info.value.user_message


# malformed rows ---------------------------------------------------------------------------------------------


def test_malformed_rows_are_reported_by_line_and_the_rest_loads(tmp_path):
    path = write_csv(
        tmp_path / "broken.csv",
        "title,country,body",
        [
            "Water kiosks,Kenya,Solar pumps.",
            '"unterminated,Kenya,This quote never closes.',
            "Fish ovens,Senegal,Less firewood.",
            "Too,many,fields,here",
            '"Quoted, title",Ghana,"Body over',
            'two lines."',
            "Zaï pits,Burkina Faso,Planting pits.",
        ],
    )
    report = load_paths([path])
    assert [d.title for d in report.documents] == ["Water kiosks", "Fish ovens", "Quoted, title", "Zaï pits"]
    assert report.documents[2].body == "Body over\ntwo lines."
    reasons = [f.reason for f in report.failures]
    assert reasons[0] == "line 3: unterminated quote"
    assert reasons[1].startswith("line 5: 4 fields where the header has 3")
    assert len(reasons) == 2 and all(f.path == str(path) for f in report.failures)
    assert not any("unterminated" in d.title for d in report.documents)


# encodings --------------------------------------------------------------------------------------------------

FRENCH_ROWS = [
    "Fours améliorés à poisson,Sénégal,Les femmes fument le poisson grâce à des fours économes (l’État aide : 5 €).",
    'Café équitable,Côte d\'Ivoire,"Coopérative de caféiculteurs : moins de pénibilité, plus de revenus."',
]


def test_windows_1252_french_csv_is_detected_with_accents_intact(tmp_path, caplog):
    path = write_csv(tmp_path / "export-bureau.csv", "titre,pays,description", FRENCH_ROWS, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    with caplog.at_level("WARNING"):
        docs = load_file(path, csv_mapping=curator_mapping(["title=titre", "countries=pays"]))
    assert [d.title for d in docs] == ["Fours améliorés à poisson", "Café équitable"]
    assert docs[0].countries == ["SEN"] and docs[1].countries == ["CIV"]
    assert docs[0].summary.endswith("grâce à des fours économes (l’État aide : 5 €).")
    assert "read as cp1252 (detected" in caplog.text
    assert preview_file(path).encoding == "cp1252 (detected)"


def test_given_encoding_is_used_and_a_wrong_one_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "fr.csv", "title,country,body", FRENCH_ROWS, encoding="cp1252")
    assert load_file(path, encoding="cp1252")[1].title == "Café équitable"
    assert preview_file(path, encoding="cp1252").encoding == "cp1252"
    with pytest.raises(LoadError) as info:
        load_file(path, encoding="utf-8")
    assert "not valid utf-8 text" in info.value.reason


# stable ids -------------------------------------------------------------------------------------------------

PLAIN_HEADER = "title,country,body"
PLAIN_ROWS = [
    "Water kiosks,Kenya,Kiosks sell water pumped by solar panels.",
    "Fish ovens,Senegal,Ovens halve firewood use.",
    "Water kiosks,Kenya,A second kiosk project in Kisumu with a different text.",  # same title and country
    "Zaï pits,Burkina Faso,Farmers dig planting pits.",
]


def _ids(path: Path) -> dict[str, str]:
    return {d.body: d.id for d in load_file(path)}


def test_ids_come_from_title_and_country_not_the_row_number(tmp_path):
    path = write_csv(tmp_path / "plain.csv", PLAIN_HEADER, PLAIN_ROWS)
    ids = _ids(path)
    assert len(set(ids.values())) == 4
    assert all(re.fullmatch(r"plain-[0-9a-f]{10}", i) for i in ids.values())
    resorted = write_csv(tmp_path / "plain.csv", PLAIN_HEADER, PLAIN_ROWS[::-1])
    assert _ids(resorted) == ids  # the two "Water kiosks, Kenya" rows keep theirs too: content, not order
    without_row_2 = write_csv(tmp_path / "plain.csv", PLAIN_HEADER, [PLAIN_ROWS[0], *PLAIN_ROWS[2:]])
    assert _ids(without_row_2)[PLAIN_ROWS[3].split(",")[2]] == ids[PLAIN_ROWS[3].split(",")[2]]
    # case, spacing and country spelling do not change who the row is
    respelt = write_csv(tmp_path / "plain.csv", PLAIN_HEADER, ["FISH  ovens,SEN,Ovens halve firewood use."])
    assert _ids(respelt)["Ovens halve firewood use."] == ids["Ovens halve firewood use."]


def test_identical_rows_are_reported_once_and_loaded_once(tmp_path):
    path = write_csv(tmp_path / "dups.csv", PLAIN_HEADER, [PLAIN_ROWS[1], PLAIN_ROWS[0], PLAIN_ROWS[1]])
    report = load_paths([path])
    assert [d.title for d in report.documents] == ["Fish ovens", "Water kiosks"]
    [failure] = report.failures
    assert failure.reason.startswith("line 4: duplicate id") and "same title, countries and content as line 2" in (
        failure.reason
    )


def test_resorted_csv_reingests_with_nothing_embedded(settings, tmp_path):
    path = write_csv(tmp_path / "solutions.csv", PLAIN_HEADER, PLAIN_ROWS)
    kb = build_knowledge_base(settings)
    first = kb.ingestor.ingest([path])
    assert (first.added, first.failed) == (4, 0) and first.chunks >= 4
    ids = set(kb.documents())
    misses = kb.embed_model.misses
    write_csv(path, PLAIN_HEADER, [PLAIN_ROWS[2], PLAIN_ROWS[0], PLAIN_ROWS[3], PLAIN_ROWS[1]])
    again = kb.ingestor.ingest([path], prune=True)
    assert (again.added, again.updated, again.unchanged, again.pruned, again.chunks) == (0, 0, 4, 0, 0)
    assert kb.embed_model.misses == misses
    assert set(kb.catalogue_now()) == ids


def test_extra_columns_survive_ingestion_into_chroma_and_the_catalogue(settings, tmp_path):
    path = write_csv(tmp_path / "office.csv", OFFICE_HEADER, OFFICE_ROWS)
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([path], csv_mapping=curator_mapping(OFFICE_MAP))
    assert (summary.added, summary.failed) == (3, 0)
    metas = kb.store.collection.get(where={"doc_id": "S-2"}, include=["metadatas"])["metadatas"]
    assert metas and all(extra_from_metadata(m) == {"lead_org": "FAO"} for m in metas)
    assert kb.documents()["S-2"].extra == {"lead_org": "FAO"}


# XLSX -------------------------------------------------------------------------------------------------------


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Notes").append(["not read: only the first sheet is"])
    workbook.save(path)
    return path


def test_xlsx_first_sheet_through_the_same_mapping_and_ids(tmp_path):
    header = OFFICE_HEADER.split(",")
    rows = [row.split(",") for row in OFFICE_ROWS]
    rows[0][4] = 6.0  # a number cell, as Excel stores it
    path = write_xlsx(tmp_path / "office.xlsx", [header, *rows, [None] * 6])
    assert detect_format(path) == "xlsx"
    docs = load_file(path, csv_mapping=curator_mapping(OFFICE_MAP))
    assert [(d.id, d.title, d.countries) for d in docs] == [
        ("K-1", "Solar water kiosks", ["KEN"]),
        ("S-2", "Improved fish-smoking ovens", ["SEN"]),
        ("B-3", "Zaï pits", ["BFA"]),
    ]
    assert docs[0].sdgs == [6] and docs[0].extra == {"lead_org": "WaterAid"}

    no_ids = curator_mapping([m for m in OFFICE_MAP if not m.startswith("id=")])
    derived = {d.title: d.id for d in load_file(path, csv_mapping=no_ids)}
    write_xlsx(path, [header, rows[2], rows[0], rows[1]])
    assert {d.title: d.id for d in load_file(path, csv_mapping=no_ids)} == derived
    assert all(i.startswith("office-") for i in derived.values())


def test_xlsx_preview_names_rows_and_warns(tmp_path):
    path = write_xlsx(tmp_path / "labs.xlsx", [["title", "country"], ["Mobile clinics", "Atlantis"], [None, "Kenya"]])
    preview = preview_file(path)
    assert preview.format == "xlsx" and preview.encoding is None and preview.error is None
    assert [(r.line, r.title) for r in preview.rows] == [(2, "Mobile clinics")]
    assert any("not recognised, ignored: Atlantis" in w for w in preview.warnings)
    assert any(w == "no title nor text, skipped: row 3" for w in preview.warnings)


def test_a_folder_walk_passes_over_office_lock_files(tmp_path):
    write_xlsx(tmp_path / "office.xlsx", [["title", "country"], ["Mobile clinics", "Kenya"]])
    (tmp_path / "~$office.xlsx").write_bytes(b"\x0bcurator" + b"\x00" * 150)  # what Excel leaves while it is open
    report = load_paths([tmp_path])
    assert not report.failures and [d.title for d in report.documents] == ["Mobile clinics"]


def test_broken_xlsx_is_reported(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(LoadError) as info:
        load_file(path)
    assert "could not be parsed as xlsx" in info.value.reason
    assert preview_file(path).error


# dry run ----------------------------------------------------------------------------------------------------


def test_dry_run_catches_a_mis_mapped_csv(tmp_path):
    path = write_csv(
        tmp_path / "office.csv",
        "solution_name,nation,description,goal,lead_org",
        [
            "Solar kiosks,Kenya,Kiosks sell clean water.,6,WaterAid",
            ",Atlantis,Women run a savings fund.,5,",
        ],
    )
    guessed = preview_file(path)  # no mapping: the description would be the title, the countries lost
    assert guessed.error is None and guessed.columns == {"summary": ["description"]}
    assert any("kept as extra metadata: solution_name, nation, goal, lead_org" in w for w in guessed.warnings)
    assert any(w.startswith("no title column") for w in guessed.warnings)

    mapped = preview_file(
        path,
        mapping=curator_mapping(
            ["title=solution_name", "countries=nation", "sdgs=goal", "summary=description", "id=ref"]
        ),
    )
    assert mapped.rows[0].title == "Solar kiosks" and mapped.rows[0].countries == ["KEN"]
    assert mapped.rows[0].extra == {"lead_org": "WaterAid"}
    warnings = "\n".join(mapped.warnings)
    assert "the mapping names columns the file does not have: id=ref" in warnings
    assert "empty title, taken from the text: line 3" in warnings
    assert "country values not recognised, ignored: Atlantis" in warnings
    json.dumps([mapped.rows[0].__dict__])  # plain data, printable as JSON
