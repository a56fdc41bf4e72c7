"""De-duplication of the real noisy corpus: every character accounted for, one copy kept."""

from __future__ import annotations

from collections import Counter

from rag.corpus.cleaning import normalise, segment
from rag.corpus.dedup import deduplicate
from rag.corpus.report import dedup_report

SPLICE = "推进再保险市场建和养老保险等机构，大力发展各类健康和养老保险业务。"
SPLICE_HEAD = "推进再保险市场建设，完善巨灾保险。"
SPLICE_TAIL = "支持发展健康和养老保险等机构，大力发展各类健康和养老保险业务。"


def test_kept_dropped_and_whitespace_add_up_to_the_raw_length(real_parsed):
    raw = real_parsed.source.raw
    kept = real_parsed.dedup.kept
    dropped = [d.segment for d in real_parsed.dedup.dropped]
    covered = sorted([(s.start, s.end) for s in kept] + [(s.start, s.end) for s in dropped])
    # segments tile the raw text without overlapping; what lies between them is whitespace
    position = 0
    gaps = []
    for start, end in covered:
        assert start >= position, f"segments overlap at {start}"
        gaps.append(raw[position:start])
        position = end
    gaps.append(raw[position:])
    assert all(g.isspace() for g in gaps if g)
    whitespace = sum(len(g) for g in gaps)

    report = dedup_report(real_parsed)
    assert report["raw_chars"] == len(raw)
    assert report["kept_chars"] == sum(s.end - s.start for s in kept)
    assert report["dropped_chars"] == sum(s.end - s.start for s in dropped)
    assert report["whitespace_chars"] == whitespace
    assert report["kept_chars"] + report["dropped_chars"] + report["whitespace_chars"] == len(raw)
    # the noisy copy repeats a lot: a fifth of it at least is dropped
    assert report["dropped_chars"] > len(raw) // 5
    assert report["wording_chars"] == sum(len(s.text) for s in kept if s.kind == "sentence")


def test_report_lists_every_dropped_segment_with_its_reason(real_parsed):
    report = dedup_report(real_parsed)
    raw = real_parsed.source.raw
    assert len(report["dropped"]) == len(real_parsed.dedup.dropped)
    assert report["by_reason"] == dict(Counter(d["reason"] for d in report["dropped"]))
    assert sum(b - a for a, b in (d["span"] for d in report["dropped"])) == report["dropped_chars"]
    assert set(report["by_reason"]) <= {"exact_duplicate", "contained", "splice", "repeated_units_note"}
    assert {"exact_duplicate", "splice", "repeated_units_note"} <= set(report["by_reason"])
    for d in report["dropped"]:
        a, b = d["span"]
        assert normalise(raw[a:b]) == d["text"]
        assert d["kept_at"], f"dropped {d['text']!r} without saying where the kept copy is"


def test_kept_at_points_at_kept_segments_that_hold_the_wording(real_parsed):
    kept = {(s.start, s.end): s for s in real_parsed.dedup.kept}
    for d in real_parsed.dedup.dropped:
        hosts = [kept.get(tuple(span)) for span in d.kept_at]
        assert all(h is not None for h in hosts), f"{d.segment.text!r} points at a dropped copy {d.kept_at}"
        # the kept copy is the first occurrence
        assert all(h.start < d.segment.start or d.reason == "splice" for h in hosts)
        if d.reason in ("exact_duplicate", "repeated_units_note"):
            assert [h.text for h in hosts] == [d.segment.text]
        elif d.reason == "contained":
            assert d.segment.text.rstrip("。！？；") in hosts[0].text


def test_no_sentence_is_kept_twice(real_parsed):
    texts = [s.text for s in real_parsed.dedup.kept if s.kind == "sentence"]
    assert len(texts) == len(set(texts))
    headings = [(s.kind, s.number) for s in real_parsed.dedup.kept if s.kind in ("part", "measure")]
    assert len(headings) == len(set(headings))


def test_splice_is_dropped_as_splice_and_its_sources_are_kept(real_parsed, real_chunks):
    splices = [d for d in real_parsed.dedup.dropped if d.segment.text == SPLICE]
    assert len(splices) == 2  # the broken join occurs twice in the noisy copy
    kept = {(s.start, s.end): s.text for s in real_parsed.dedup.kept}
    for d in splices:
        assert d.reason == "splice"
        assert sorted(kept[tuple(span)] for span in d.kept_at) == sorted([SPLICE_HEAD, SPLICE_TAIL])
    assert SPLICE not in "".join(c.text for c in real_chunks)
    assert not any(SPLICE in c.text for c in real_chunks)
    for source in (SPLICE_HEAD, SPLICE_TAIL):
        assert sum(c.text.count(source) for c in real_chunks) == 1


def test_units_note_repeated_by_a_repeated_passage_is_dropped_but_shared_notes_are_kept(real_parsed):
    notes = [s.text for s in real_parsed.dedup.kept if s.kind == "units"]
    # the same note legitimately closes several measures
    common = "（责任单位：人行福州中心支行、福建银保监局、厦门银保监局、福建证监局、厦门证监局，省金融监管局）"
    assert notes.count(common) >= 2
    repeated = [d for d in real_parsed.dedup.dropped if d.reason == "repeated_units_note"]
    assert repeated and all(d.segment.kind == "units" for d in repeated)


def test_first_copy_wins():
    raw = ("（一）推动银行业高质量发展。督促城商行建立审慎经营文化。积极稳妥有序推进农信社改制。"
           "（责任单位：省金融监管局）（一）推动银行业高质量发展。督促城商行建立审慎经营文化。"
           "积极稳妥有序推进农信社改制。（责任单位：省金融监管局）")
    result = deduplicate(segment(raw, family="measures"))
    assert [s.text for s in result.kept] == [
        "（一）推动银行业高质量发展。", "督促城商行建立审慎经营文化。", "积极稳妥有序推进农信社改制。", "（责任单位：省金融监管局）"]
    assert all(s.start < raw.index("（一）", 1) for s in result.kept)
    assert [d.reason for d in result.dropped] == ["exact_duplicate"] * 3 + ["repeated_units_note"]


def test_contained_fragment_is_dropped_and_the_longer_sentence_kept():
    raw = "加快资管产品公募化改造。加快资管产品公募化、净值化改造。支持期货公司进一步提升资本实力。支持期货公司进一步提升资本实力和抗风险能力，实现差异化发展。"
    result = deduplicate(segment(raw, family="measures"))
    assert [s.text for s in result.kept] == [
        "加快资管产品公募化改造。", "加快资管产品公募化、净值化改造。", "支持期货公司进一步提升资本实力和抗风险能力，实现差异化发展。"]
    assert [(d.reason, d.segment.text) for d in result.dropped] == [("contained", "支持期货公司进一步提升资本实力。")]


def test_wording_of_a_contained_sentence_survives_when_its_host_looks_like_a_splice():
    head = "对合作银行向科技型企业发放的信用贷款，按以下方式给予支持。"
    inner = "合作银行发生的不良贷款，由资金池按本金损失的50%给予补偿。"
    host = "对" + inner  # the same sentence with one more leading word
    result = deduplicate(segment(head + inner + host, family="measures"))
    kept_text = "".join(s.text for s in result.kept)
    assert inner.rstrip("。") in kept_text
    kept_spans = {(s.start, s.end) for s in result.kept}
    assert all(tuple(span) in kept_spans for d in result.dropped for span in d.kept_at)


def test_nested_sentences_are_contained_in_the_longest_kept_one():
    shortest = "产品公募化、净值化改造。"
    middle = "加快资管产品公募化、净值化改造。"
    longest = "加快资管产品公募化、净值化改造，提升服务水平。"
    result = deduplicate(segment(longest + middle + shortest, family="measures"))
    assert [s.text for s in result.kept] == [longest]
    assert [(d.reason, d.segment.text) for d in result.dropped] == [("contained", middle), ("contained", shortest)]
    kept_spans = {(s.start, s.end) for s in result.kept}
    assert all(tuple(span) in kept_spans for d in result.dropped for span in d.kept_at)
