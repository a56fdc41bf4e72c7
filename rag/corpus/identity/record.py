"""The identity record of one document and its stable id."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePath

from rag.types import DocumentInfo

REGIONS = ("national", "province", "city")
STATUSES = ("in_force", "repealed", "unknown")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# The identity record is the library-wide DocumentInfo; its stage-local name reads better here.
DocumentIdentity = DocumentInfo


def slug_of(filename: str) -> str:
    """An ASCII id from a file name: lower-case [a-z0-9-].

    A name with Chinese (or other non-ASCII) characters gets a short digest of the whole
    name appended, so 「政策-2021.txt」 and 「办法-2021.txt」 do not both become 「2021」.
    """
    stem = PurePath(filename).stem
    ascii_part = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    if stem.isascii() and ascii_part:
        return ascii_part
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    return f"{ascii_part}-{digest}" if ascii_part else f"doc-{digest}"
