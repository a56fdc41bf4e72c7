"""The dashboard's and `policy-qa report`'s figures from a real log, and the policy-gap clusters
from the real embedding model."""

from __future__ import annotations

import csv
import io

import numpy as np

from db.gaps import cluster_gaps
from db.log import ConversationLog
from db.report import build_report, export_csv
from db.writer import LogWriter

from db_support import answer

GAPS = {
    "mortgage": ["个人住房贷款利率是多少？", "房贷利率现在多少？", "买房贷款利率怎么算？"],
    "cards": ["信用卡逾期怎么办？", "信用卡还不上了怎么处理？"],
    "trade": ["出口企业人民币结算有什么便利？", "外贸企业跨境人民币结算政策？"],
}


def fill(engine) -> tuple[list[float], dict[str, str]]:
    """A small log: answered and refused questions on two channels, 👍 and 👎 with a comment."""
    log = ConversationLog(engine, LogWriter(engine, interval=0.02), keep_text=True)
    latencies, ids = [], {}
    for i in range(20):
        latency = float(10 + i)
        latencies.append(latency)
        ids[f"ok{i}"] = log.answered(answer("科技型企业有哪些融资支持？"), channel="api" if i % 2 else "chat",
                                     user="amy", index_version="v", latency_ms=latency)
    for questions in GAPS.values():
        for q in questions:
            latencies.append(5.0)
            ids[q] = log.answered(answer(q, found=False), channel="chat", user="ben", index_version="v", latency_ms=5)
    log.feedback(ids["ok0"], "amy", False, "=HYPERLINK(\"http://x\") 没有说明担保费率")
    log.feedback(ids["ok1"], "amy", True, None)
    log.feedback(ids["房贷利率现在多少？"], "ben", False, None)
    log.close()
    return latencies, ids


def test_report_counts_shares_latency_and_thumbs(database):
    latencies, ids = fill(database)
    report = build_report(database)
    assert (report.questions, report.refused, report.thumbs_up, report.thumbs_down) == (27, 7, 1, 2)
    assert round(report.refused_share, 4) == round(7 / 27, 4)
    by_channel = {(d.channel): (d.questions, d.refused) for d in report.days}
    assert by_channel == {"api": (10, 0), "chat": (17, 7)}
    overall = next(r for r in report.latency if r.channel == "all")
    assert overall.p50 == round(float(np.percentile(latencies, 50)), 1) and overall.answers == 27
    assert [d.comment for d in report.disliked if d.comment] == ["=HYPERLINK(\"http://x\") 没有说明担保费率"]
    gap_texts = {g.question: (g.refused, g.disliked) for g in report.gaps}
    assert gap_texts["房贷利率现在多少？"] == (1, 1) and gap_texts["科技型企业有哪些融资支持？"] == (0, 1)


def test_gap_clusters_group_failed_questions_by_meaning(database, embedder):
    fill(database)
    clusters = cluster_gaps(build_report(database).gaps, embedder.encode_queries)
    groups = [set(c.examples) for c in clusters]
    for questions in GAPS.values():
        assert set(questions) in groups, groups
    mortgage = next(c for c in clusters if "房贷利率现在多少？" in c.examples)
    assert (mortgage.size, mortgage.refused, mortgage.disliked) == (3, 3, 1)
    assert clusters[0].size >= clusters[-1].size


def test_csv_export_has_every_answer_and_defuses_formulas(database):
    _, ids = fill(database)
    rows = list(csv.DictReader(io.StringIO(export_csv(database))))
    assert len(rows) == 27 and {r["id"] for r in rows} == set(ids.values())
    flagged = next(r for r in rows if r["id"] == ids["ok0"])
    assert flagged["rating"] == "-1" and flagged["comment"].startswith("'=HYPERLINK")


def test_an_empty_log_reports_zeros(database):
    report = build_report(database)
    assert (report.questions, report.refused_share, report.days, report.gaps) == (0, 0.0, [], [])
