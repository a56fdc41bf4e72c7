"""Chunks of the real corpus: complete, unrepeated, inside one measure, small enough to embed."""

from __future__ import annotations

import shutil

from conftest import REAL_FILE, assert_spans_match

from rag.corpus.chunking import MAX_CHARS, chunk_documents, chunk_measure
from rag.corpus.folder import parse_corpus, parse_file, read_corpus
from rag.corpus.measures import UNLABELLED, Item
from rag.corpus.report import dedup_report

STRUCTURE = ("part", "measure", "chapter", "article", "units", "notice_title", "publish_date",
             "signature", "doc_title")


def _kept_sentences(parsed):
    return [s for s in parsed.dedup.kept if s.kind == "sentence"]


def _chunks_holding(chunks, seg):
    return [c for c in chunks if any(a <= seg.start and seg.end <= b for a, b in c.spans)]


def test_every_kept_sentence_is_in_exactly_one_chunk(real_parsed, real_chunks):
    sentences = _kept_sentences(real_parsed)
    assert len(sentences) > 60
    for s in sentences:
        holders = _chunks_holding(real_chunks, s)
        assert len(holders) == 1, f"{s.text!r} is spanned by {len(holders)} chunks"
        assert s.text in holders[0].text
        assert sum(c.text.count(s.text) for c in real_chunks) == 1, f"{s.text!r} is not in exactly one chunk"


def _is_item_title_chunk(parsed, chunk) -> bool:
    """A chunk made of a bare item heading (no body): its single span is the heading."""
    headings = {(s.start, s.end) for s in parsed.dedup.kept if s.kind == "item"}
    return chunk.item is not None and len(chunk.spans) == 1 and chunk.spans[0] in headings


def test_no_chunk_repeats_a_sentence(real_parsed, real_chunks):
    title_only = 0
    for c in real_chunks:
        inside = [s for s in _kept_sentences(real_parsed) if any(a <= s.start and s.end <= b for a, b in c.spans)]
        if not inside:
            assert _is_item_title_chunk(real_parsed, c), f"chunk {c.id} holds no source sentence"
            title_only += 1
            continue
        assert len({s.text for s in inside}) == len(inside)
        assert "".join(s.text for s in inside) == c.text
        for s in inside:
            assert c.text.count(s.text) == 1
    assert title_only == 1  # （八）1.保障重点项目、重大工程资金需求。


def test_every_dropped_sentence_wording_is_still_somewhere(real_parsed, real_chunks):
    everything = "".join(c.text for c in real_chunks)
    for d in real_parsed.dedup.dropped:
        if d.segment.kind != "sentence":
            continue
        if d.reason == "splice":
            assert d.segment.text not in everything
        else:
            assert d.segment.text.rstrip("。") in everything, d.segment.text


def test_chunk_text_adds_up_to_the_kept_wording(real_parsed, real_chunks):
    wording = dedup_report(real_parsed)["wording_chars"]
    total = sum(len(c.text) for c in real_chunks)
    assert abs(total - wording) <= 0.10 * wording, (total, wording)


def test_spans_read_as_the_chunk_text(real_parsed, real_chunks):
    raw = real_parsed.source.raw
    for c in real_chunks:
        assert_spans_match(raw, c)
        for s in _kept_sentences(real_parsed):
            if s.text in c.text:
                assert any(a <= s.start and s.end <= b and s.text in raw[a:b] for a, b in c.spans)


def test_chunks_never_cross_a_measure_boundary(real_parsed, real_chunks):
    # In the raw text: no heading, note or metadata starts inside a chunk's span.
    every_segment = [*real_parsed.dedup.kept, *(d.segment for d in real_parsed.dedup.dropped)]
    boundaries = [s for s in every_segment if s.kind in STRUCTURE]
    items = [s for s in every_segment if s.kind == "item"]
    for c in real_chunks:
        for a, b in c.spans:
            assert not [s.text for s in boundaries if a <= s.start < b], (c.measure, (a, b))
            assert all((s.start, s.end) == (a, b) for s in items if a <= s.start < b)
    # In the outline: every chunk's sentences belong to one measure, the one it is filed under.
    owner = {}
    for m in real_parsed.document.measures:
        for item in m.items:
            for block in item.blocks:
                for sentence in block.sentences:
                    owner[sentence.span] = (m.heading, item.label)
    for c in real_chunks:
        if _is_item_title_chunk(real_parsed, c):
            continue
        inside = {owner[(s.start, s.end)] for s in _kept_sentences(real_parsed)
                  if any(a <= s.start and s.end <= b for a, b in c.spans)}
        assert inside == {(c.measure, c.item)}, c.id


def test_chunks_fit_the_encoder(real_chunks, corpus_tokenizer):
    longest = max(len(c.text) for c in real_chunks)
    assert longest <= 400
    for c in real_chunks:
        assert len(c.text) <= 400
        tokens = len(corpus_tokenizer("passage: " + c.text)["input_ids"])
        assert tokens <= 512, (c.id, tokens)
    # the tokenizer really tokenizes Chinese (not one token per chunk)
    assert len(corpus_tokenizer("passage: " + real_chunks[2].text)["input_ids"]) > len(real_chunks[2].text) // 4


def test_measures_split_only_at_items_notes_or_the_size_limit(real_parsed):
    for measure in real_parsed.document.measures:
        chunks = chunk_measure(measure)
        assert chunks and {c.measure for c in chunks} == {measure.heading}
        blocks = [b for item in measure.items for b in item.blocks if b.sentences]
        if len(measure.text) <= MAX_CHARS and len(blocks) == 1:
            assert len(chunks) == 1, measure.heading
        if measure.text:
            assert "".join(c.text for c in chunks if c.text in measure.text) == measure.text
        # a chunk ends where a sentence ends: never inside one
        for c in chunks:
            assert c.text.endswith(("。", "！", "？", "；", "：")), c.text
    # The four numbered items after （七） are two runs (2. 3., then 2. 3.) that continue no
    # measure of the file: they stand apart from （七）'s body, and never share a chunk.
    seven = chunk_measure(next(m for m in real_parsed.document.measures if m.number == 7))
    assert {c.item for c in seven} == {None}
    stray = chunk_measure(next(m for m in real_parsed.document.measures if m.heading == UNLABELLED))
    assert len({c.item for c in stray}) == 4


def test_small_max_chars_still_keeps_every_sentence(real_parsed):
    chunks = chunk_documents([real_parsed.document], max_chars=120, min_chars=40)
    for c in chunks:
        # a single sentence longer than the limit is never cut in the middle
        assert len(c.text) <= 120 or c.text in {s.text for s in _kept_sentences(real_parsed)}
    for s in _kept_sentences(real_parsed):
        assert sum(c.text.count(s.text) for c in chunks) == 1


def test_chunk_ids_are_stable_and_unique(real_chunks):
    again = parse_file(read_corpus(REAL_FILE.parent)[0])
    assert [c.id for c in chunk_documents([again.document])] == [c.id for c in real_chunks]
    assert len({c.id for c in real_chunks}) == len(real_chunks)
    assert all(len(c.id) == 16 and int(c.id, 16) >= 0 for c in real_chunks)


def test_chunk_id_changes_when_the_text_changes(tmp_path, real_chunks):
    original = "加快推进三明、南平绿色金融改革试验区建设。"
    raw = REAL_FILE.read_text(encoding="utf-8-sig")
    assert raw.count(original) == 1
    shutil.copyfile(REAL_FILE, tmp_path / REAL_FILE.name)
    (tmp_path / REAL_FILE.name).write_text(raw.replace(original, "加快推进三明、南平绿色金融改革试验区建设工作。"),
                                           encoding="utf-8")
    changed = chunk_documents([p.document for p in parse_corpus(tmp_path)])
    assert len(changed) == len(real_chunks)
    differing = [(old, new) for old, new in zip(real_chunks, changed) if old.id != new.id]
    assert len(differing) == 1
    old, new = differing[0]
    assert original in old.text and "建设工作。" in new.text
    assert (old.measure, old.item) == (new.measure, new.item)


def test_item_without_body_becomes_its_own_chunk(real_parsed, real_chunks):
    eight = [c for c in real_chunks if c.measure.startswith("（八）")]
    assert [c.item for c in eight] == ["1.保障重点项目、重大工程资金需求"]
    assert eight[0].text == "保障重点项目、重大工程资金需求。"
    assert eight[0].responsible_units == ("省金融监管局", "各有关单位")
    measure = next(m for m in real_parsed.document.measures if m.heading.startswith("（八）"))
    assert isinstance(measure.items[0], Item) and measure.items[0].number == 1
