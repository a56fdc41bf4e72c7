"""The logging benchmark (eval/log_overhead.py) runs end to end, and every answer it gets is recorded.

A smoke run: one short round per mode, so the p50 ratio is reported but not judged here (on a
shared two-core machine one second of load is noise); README quotes the full run.
"""

from __future__ import annotations

import pytest

from eval.log_overhead import measure
from rag.settings import Settings

from retrieval_support import DATA_DIR, shared_home

pytestmark = [pytest.mark.slow, pytest.mark.server]


def test_logging_on_and_off_are_measured_and_every_answer_is_recorded(server_index):
    report = measure(Settings(home=shared_home(), corpus_dir=DATA_DIR), rounds=1, seconds=1.5, clients=2,
                     index_dir=server_index)
    assert report["errors"] == 0 and min(report["requests"].values()) > 0
    assert report["recorded"] == report["answered_with_logging"] == report["requests"]["on"]
    assert report["ratio_on_over_off"] > 0
