from __future__ import annotations

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter

from assistant.knowledge.chunking import SECTION_MAX, StructuredSplitter, split_sections
from assistant.knowledge.ingest import build_splitter, chunk_id, to_llama_document
from assistant.knowledge.loaders import load_paths
from assistant.settings import ChunkSettings
from bench.ingest_bench import long_body
from tests.conftest import ROOT


def long_text(lines: int, seed: int = 7, punctuation: bool = False) -> str:
    """A long file of one item a line, with a heading and a blank line now and then (no sentence punctuation by
    default: the case where greedy packing moves every boundary); the benchmark's own generator."""
    return long_body(lines, prose=punctuation, seed=seed)


def chunk_texts(splitter: SentenceSplitter, text: str) -> list[str]:
    doc = Document(
        id_="long",
        text=text,
        metadata={"title": "A long file", "tags": "water"},
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )
    return [node.get_content() for node in splitter.get_nodes_from_documents([doc])]


def splitters() -> tuple[SentenceSplitter, StructuredSplitter]:
    return SentenceSplitter(chunk_size=320, chunk_overlap=40), StructuredSplitter(chunk_size=320, chunk_overlap=40)


def test_the_shipped_corpus_is_chunked_exactly_as_before():
    documents = load_paths([ROOT / "corpus"], "auto").documents
    assert len(documents) > 50
    # Today's splitter, as `build_splitter` made it before, against the one it makes now.
    old, new = (
        SentenceSplitter(chunk_size=320, chunk_overlap=40, id_func=chunk_id),
        build_splitter(ChunkSettings.model_validate({})),
    )
    assert isinstance(new, StructuredSplitter)
    changed = []
    for doc in documents:
        llama = to_llama_document(doc)
        before = [(n.node_id, n.get_content()) for n in old.get_nodes_from_documents([llama])]
        after = [(n.node_id, n.get_content()) for n in new.get_nodes_from_documents([llama])]
        if before != after:
            changed.append(doc.id)
    assert changed == []


def test_a_line_inserted_at_the_top_leaves_the_later_chunks_unchanged():
    text = long_text(3000)
    edited = "Updated on 1 December 2026 with the cooperatives of the northern districts\n" + text
    old, new = splitters()
    before, after = chunk_texts(new, text), chunk_texts(new, edited)
    assert len(before) > 4 * SECTION_MAX
    fresh = [i for i, chunk in enumerate(after) if chunk not in set(before)]
    assert len(fresh) <= SECTION_MAX + 1 and max(fresh) <= SECTION_MAX + 1, fresh
    assert after[-len(before) + SECTION_MAX + 2 :] == before[-len(before) + SECTION_MAX + 2 :]
    # The defect this replaces: greedy packing over the whole text shifts every boundary after the edit.
    old_before, old_after = chunk_texts(old, text), chunk_texts(old, edited)
    assert len(set(old_after) - set(old_before)) > len(old_before) // 2


def test_an_edit_in_the_middle_changes_only_the_chunks_around_it():
    text = long_text(3000, seed=11)
    middle = text.index("\n", len(text) // 2) + 1
    edited = text[:middle] + "A new line about borehole pumps in the north\n" + text[middle:]
    _, new = splitters()
    before, after = chunk_texts(new, text), chunk_texts(new, edited)
    fresh = [chunk for chunk in after if chunk not in set(before)]
    assert 1 <= len(fresh) <= 2 * SECTION_MAX
    assert after[:5] == before[:5] and after[-5:] == before[-5:]


def test_sections_are_whole_lines_and_lose_no_text():
    text = long_text(2000, seed=3, punctuation=True)
    count = StructuredSplitter(chunk_size=320)._token_size
    sections = split_sections(text, 300, count)
    assert len(sections) > 3
    lines = set(text.splitlines())
    for section in sections:
        assert section.splitlines()[0] in lines and section.splitlines()[-1] in lines
        assert count(section) <= SECTION_MAX * 300
    assert "".join("".join(sections).split()) == "".join(text.split())


def test_a_section_starts_at_a_heading_rather_than_just_before_it():
    text = long_text(2000, seed=5)
    sections = split_sections(text, 300, StructuredSplitter(chunk_size=320)._token_size)
    # Sections close either at a content-defined cut or before a heading; never does one end on a heading line.
    assert not any(s.rstrip().splitlines()[-1].startswith("## ") for s in sections)
    assert any(s.startswith("## ") for s in sections[1:])


def test_chunks_respect_the_chunk_size_and_a_short_text_is_one_section():
    old, new = splitters()
    text = long_text(3000, seed=9, punctuation=True)
    tokens = [new._token_size(chunk) for chunk in chunk_texts(new, text)]
    assert max(tokens) <= 320
    short = long_text(40, seed=9)
    assert split_sections(short, 300, new._token_size) == [short]
    assert chunk_texts(new, short) == chunk_texts(old, short)
