"""Print the identity of each document as a Markdown table.

    .venv/bin/python -m eval.identity_table                 # eval/library and data/
    .venv/bin/python -m eval.identity_table FILE_OR_DIR…

Each document is read with its sidecar (``<file>.meta.json``) when it has one; a ``*``
after a value marks a field the sidecar supplied.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rag.corpus.identity import identify, read_sidecar

REPO = Path(__file__).resolve().parents[1]
DEFAULT = (REPO / "eval" / "library", REPO / "data")
SUFFIXES = (".txt", ".md")


def documents(targets: list[Path]) -> list[Path]:
    found = []
    for target in targets:
        # README.md, MANIFEST.md: upper-case names are a folder's notes, not its documents.
        found += sorted(p for p in target.iterdir() if p.suffix in SUFFIXES and not p.stem.isupper()) \
            if target.is_dir() else [target]
    return found


def row(path: Path) -> str:
    sidecar = read_sidecar(path) or {}
    identity = identify(path.read_text(encoding="utf-8"), path.name, sidecar)

    def cell(field: str, value: object) -> str:
        text = "—" if value in (None, "", ()) else "、".join(value) if isinstance(value, tuple) else str(value)
        return text + ("\\*" if field in sidecar or (field == "date" and "published" in sidecar) else "")

    values = [("title", identity.title), ("number", identity.number), ("issuers", identity.issuers),
              ("date", identity.date), ("region", identity.region), ("type", identity.type)]
    return "| " + " | ".join([f"`{path.name}`"] + [cell(f, v) for f, v in values]) + " |"


def main(argv: list[str]) -> None:
    targets = [Path(a) for a in argv] or list(DEFAULT)
    print("| file | title | 文号 | issuers | date | region | type |")
    print("|---|---|---|---|---|---|---|")
    for path in documents(targets):
        print(row(path))


if __name__ == "__main__":
    main(sys.argv[1:])
