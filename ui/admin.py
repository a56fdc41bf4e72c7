"""The admin dashboard: a tab only admins see, reading the conversation log.

Every handler checks the caller again: a hidden tab hides nothing from a script calling
/gradio_api/ directly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import gradio as gr
import pandas as pd

from db.gaps import GapCluster, cluster_gaps
from db.records import now
from db.report import Report, build_report, export_csv
from rag.assistant import Assistant
from rag.errors import PolicyQAError
from ui.access import ChatAccess

PERIODS = {"最近 7 天": 7, "最近 30 天": 30, "最近 90 天": 90, "最近一年": 365, "全部": 0}
NOT_ADMIN = "仅管理员可查看。"


def visibility(access: ChatAccess, request: gr.Request | None) -> dict:
    return gr.update(visible=access.admin(request) is not None)


def since(period: str) -> datetime | None:
    days = PERIODS.get(period, 30)
    return now() - timedelta(days=days) if days else None


def summary(report: Report) -> str:
    return (f"**{report.questions}** 个问题，其中 **{report.refused}** 个答「政策未涉及」"
            f"（{report.refused_share:.1%}）；👍 {report.thumbs_up}，👎 {report.thumbs_down}。")


def per_day(report: Report) -> pd.DataFrame:
    frame = pd.DataFrame([vars(d) for d in report.days], columns=["day", "channel", "questions", "refused"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def refused_share(report: Report) -> pd.DataFrame:
    frame = per_day(report).groupby("day", as_index=False)[["questions", "refused"]].sum()
    frame["share"] = (frame["refused"] / frame["questions"].clip(lower=1)).round(4)
    return frame[["day", "share"]]


def latency(report: Report) -> pd.DataFrame:
    # one bar per channel and percentile: Gradio stacks bars that share an x value, and stacked
    # percentiles would read as a sum
    rows = [{"bar": f"{r.channel} {name}", "channel": r.channel, "ms": getattr(r, name)}
            for r in report.latency for name in ("p50", "p90", "p99")]
    return pd.DataFrame(rows, columns=["bar", "channel", "ms"])


def disliked(report: Report) -> pd.DataFrame:
    rows = [[d.created_at, d.user, d.question or "（未记录问题）", d.comment or ""] for d in report.disliked]
    return pd.DataFrame(rows, columns=["时间", "用户", "问题", "说明"])


def gaps(clusters: list[GapCluster]) -> pd.DataFrame:
    rows = [[c.size, c.refused, c.disliked, " ｜ ".join(c.examples)] for c in clusters]
    return pd.DataFrame(rows, columns=["次数", "未涉及", "👎", "问题示例"])


class Dashboard:
    def __init__(self, access: ChatAccess, get_assistant: Callable[[], Assistant]):
        self.access = access
        self.get_assistant = get_assistant

    def refresh(self, period: str, request: gr.Request) -> tuple:
        """Outputs: summary, questions per day, refused share, latency, 👎 table, gap clusters."""
        if self.access.admin(request) is None:
            raise gr.Error(NOT_ADMIN)
        report = build_report(self.access.engine, since(period))
        try:
            clusters = cluster_gaps(report.gaps, self.get_assistant().embed)
        except PolicyQAError:  # the index is still loading: figures now, clusters on the next refresh
            clusters = []
        return (summary(report), per_day(report), refused_share(report), latency(report), disliked(report),
                gaps(clusters))

    def export(self, period: str, request: gr.Request) -> str:
        if self.access.admin(request) is None:
            raise gr.Error(NOT_ADMIN)
        folder = Path(tempfile.mkdtemp(prefix="policy-qa-export-"))
        path = folder / f"policy-qa-log-{now():%Y%m%d-%H%M}.csv"
        # utf-8-sig: Excel, what a policy team opens it with, needs the BOM to read Chinese
        path.write_text(export_csv(self.access.engine, since(period)), encoding="utf-8-sig")
        return str(path)


def build_tab(access: ChatAccess, get_assistant: Callable[[], Assistant]) -> gr.Tab:
    """The 管理 tab, hidden until ``visibility`` finds an admin."""
    dashboard = Dashboard(access, get_assistant)
    with gr.Tab("管理", id="admin-tab", visible=False) as tab:
        with gr.Row():
            period = gr.Dropdown(list(PERIODS), value="最近 30 天", label="时间范围", elem_id="admin-period")
            refresh = gr.Button("刷新", variant="primary", elem_id="admin-refresh")
            export = gr.Button("导出 CSV", elem_id="admin-export")
        totals = gr.Markdown(elem_id="admin-summary")
        with gr.Row():
            daily = gr.LinePlot(x="day", y="questions", color="channel", title="每日提问数（按渠道）",
                                elem_id="admin-daily")
            share = gr.LinePlot(x="day", y="share", title="「政策未涉及」占比", y_lim=[0, 1], elem_id="admin-refused")
        times = gr.BarPlot(x="bar", y="ms", color="channel", sort=None, title="响应时间 p50 / p90 / p99（毫秒）",
                           elem_id="admin-latency")
        gr.Markdown("**政策缺口**：答「政策未涉及」或被点 👎 的问题，按语义归类，次数多的在前——这是该补充进资料库的内容。")
        clusters = gr.Dataframe(elem_id="admin-gaps", wrap=True, interactive=False)
        gr.Markdown("**👎 的回答及说明**")
        thumbs_down = gr.Dataframe(elem_id="admin-disliked", wrap=True, interactive=False)
        csv_file = gr.File(label="导出文件", elem_id="admin-csv")
        outputs = [totals, daily, share, times, thumbs_down, clusters]
        refresh.click(dashboard.refresh, inputs=period, outputs=outputs)
        period.change(dashboard.refresh, inputs=period, outputs=outputs)
        tab.select(dashboard.refresh, inputs=period, outputs=outputs)
        export.click(dashboard.export, inputs=period, outputs=csv_file)
    return tab
