"""The data path is one-way: corpus → encoder → retrieval → answering → the facade → channels.

Read from the source with ``ast`` (nothing is imported), so a wrong import fails here
before it turns into an import cycle somewhere else.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# What each layer of rag/ may import from rag/; the shared records and helpers at the bottom.
SHARED = {"rag", "rag.types", "rag.errors", "rag.files", "rag.data", "rag.cache"}
STAGES = ["rag.corpus", "rag.encoder", "rag.retrieval", "rag.answering"]
FACADE = {"rag.settings", "rag.pipeline", "rag.assistant"}
CHANNELS = ("api", "ui", "wecom", "cli", "eval", "db")
# the database layer serves the channels and may use rag's records, never the channels themselves
DB_FORBIDDEN = ("api", "ui", "wecom", "cli", "eval")


def imported(path: Path) -> set[str]:
    """Every module a file imports, absolute, including imports inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def stage_of(name: str) -> str | None:
    return next((s for s in STAGES if name == s or name.startswith(s + ".")), None)


RAG_FILES = sorted((REPO / "rag").rglob("*.py"))


def test_the_stages_exist():
    assert {stage_of(module_name(p)) for p in RAG_FILES} >= set(STAGES)


@pytest.mark.parametrize("path", RAG_FILES, ids=lambda p: module_name(p))
def test_rag_imports_no_channel(path):
    bad = sorted(n for n in imported(path) if n.split(".")[0] in CHANNELS)
    assert bad == [], f"{module_name(path)} imports {bad}: rag/ must not depend on its callers"


@pytest.mark.parametrize("path", [p for p in RAG_FILES if stage_of(module_name(p))], ids=lambda p: module_name(p))
def test_a_stage_imports_only_earlier_stages_and_shared_modules(path):
    me = STAGES.index(stage_of(module_name(path)))
    allowed = set(STAGES[: me + 1])
    for name in imported(path):
        if not name.startswith("rag.") or name in SHARED or any(name.startswith(s + ".") for s in SHARED - {"rag"}):
            continue
        stage = stage_of(name)
        assert name not in FACADE and not any(name.startswith(f + ".") for f in FACADE), \
            f"{module_name(path)} imports the facade module {name}"
        assert stage in allowed, f"{module_name(path)} ({STAGES[me]}) imports {name} from a later stage"


def test_the_checker_sees_a_backward_import(tmp_path):
    """The rule itself can fail: a corpus module importing retrieval is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from rag.retrieval.store import load\n", encoding="utf-8")
    assert "rag.retrieval.store" in imported(bad)
    assert stage_of("rag.retrieval.store") == "rag.retrieval"
    assert STAGES.index("rag.retrieval") > STAGES.index("rag.corpus")


DB_FILES = sorted((REPO / "db").rglob("*.py"))


def test_the_database_layer_exists():
    assert {module_name(p) for p in DB_FILES} >= {"db.models", "db.engine", "db.accounts", "db.writer"}


@pytest.mark.parametrize("path", DB_FILES, ids=lambda p: module_name(p))
def test_db_imports_no_channel(path):
    bad = sorted(n for n in imported(path) if n.split(".")[0] in DB_FORBIDDEN)
    assert bad == [], f"{module_name(path)} imports {bad}: db/ must not depend on the channels"


def test_the_checker_sees_rag_importing_db(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from db.log import ConversationLog\n", encoding="utf-8")
    assert {n.split(".")[0] for n in imported(bad)} & set(CHANNELS) == {"db"}


@pytest.mark.parametrize("channel", ["api", "ui", "wecom"])
def test_channels_use_the_assistant_surface_not_its_pipeline(channel):
    """Health, keywords and status come from Assistant methods; its pipeline stays inside rag/."""
    offenders = [f"{module_name(p)}:{n}" for p in sorted((REPO / channel).rglob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if ".pipeline." in line or "rag.pipeline" in line]
    assert offenders == []
