"""The sidecar: ``<file>.meta.json`` next to a document, overriding what the text says.

It holds what the text cannot tell (a repealed status, a 文号 the copy left out, the
publication date of a web page) or corrects a wrong extraction. Every value is checked
here, so a typo fails the build with the file and field named rather than reaching a
citation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rag.corpus.identity import numbers
from rag.corpus.identity.dates import parse_date
from rag.corpus.identity.record import REGIONS, SLUG, STATUSES
from rag.errors import CorpusError

SUFFIX = ".meta.json"
FIELDS = ("id", "title", "number", "issuers", "signed", "published", "effective", "region", "type", "status",
          "notice_title")
_DATES = ("signed", "published", "effective")
_REQUIRED = ("id", "title", "status")  # cannot be cleared with null: the record always has them
_ISSUER_SEPARATORS = re.compile(r"[、，,；;\n]+")


def sidecar_path(document: Path) -> Path:
    """policy.pdf → policy.pdf.meta.json."""
    document = Path(document)
    return document.with_name(document.name + SUFFIX)


def read_sidecar(path: Path) -> dict | None:
    """The checked sidecar of the document at ``path``; None when it has none.

    ``path`` may also name the sidecar itself. Raises :class:`CorpusError` naming the file
    (and the field) for unreadable JSON, a value of the wrong kind or an unknown field.
    """
    path = Path(path)
    side = path if path.name.endswith(SUFFIX) else sidecar_path(path)
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as e:
        raise CorpusError(f"{side}: not UTF-8 ({e.reason} at byte {e.start})") from e
    except json.JSONDecodeError as e:
        raise CorpusError(f"{side}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from e
    return check_sidecar(data, str(side))


def check_sidecar(data: object, source: str) -> dict:
    """Sidecar values normalised: dates ISO, issuers a tuple, 文号 brackets 〔〕."""
    if not isinstance(data, dict):
        raise CorpusError(f"{source}: must be a JSON object with any of the fields {', '.join(FIELDS)}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise CorpusError(f"{source}: unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}")
    return {key: _check(key, value, source) for key, value in data.items()}


def _check(key: str, value: object, source: str):
    def bad(why: str) -> CorpusError:
        return CorpusError(f"{source}: field {key!r} {why} (got {value!r})")

    if value is None:
        if key in _REQUIRED or key == "issuers":
            raise bad("cannot be null")
        return None
    if key == "issuers":
        items = _ISSUER_SEPARATORS.split(value) if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
            raise bad("must be a list of names or a 、-separated string")
        names = tuple(v.strip() for v in items if v.strip())
        if not names:
            raise bad("must name at least one issuer")
        return names
    if not isinstance(value, str) or not value.strip():
        raise bad("must be a non-empty string")
    value = value.strip()
    if key in _DATES:
        iso = parse_date(value)
        if iso is None:
            raise bad("is not a date like 2021年2月5日 or 2021-02-05")
        return iso
    if key == "id" and not SLUG.fullmatch(value):
        raise bad("must be lower-case letters, digits and single hyphens")
    if key == "region" and value not in REGIONS:
        raise bad(f"must be one of {', '.join(REGIONS)}")
    if key == "status" and value not in STATUSES:
        raise bad(f"must be one of {', '.join(STATUSES)}")
    if key == "number":
        return numbers.normalise_text(value)
    return value
