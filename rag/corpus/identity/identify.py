"""One document's identity from its text, its file name and its sidecar."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath

from rag.corpus.identity import clauses, numbers
from rag.corpus.identity.fields import read_fields
from rag.corpus.identity.header import Header, read_header
from rag.corpus.identity.issuers import normalise_issuer, region_of, split_issuers
from rag.corpus.identity.kinds import doc_type
from rag.corpus.identity.record import DocumentIdentity, slug_of
from rag.corpus.identity.sidecar import SUFFIX, check_sidecar
from rag.corpus.identity.signature import find_signature, printed_date
from rag.corpus.identity.text import prepare_lines


def identify(text: str, filename: str, sidecar: dict | None = None) -> DocumentIdentity:
    """Read title, 文号, issuers, dates, region and type from a document's text.

    ``text`` is the document as extracted from its file with its line breaks (a title's
    wrapping, a signature's lines and the header's 题注 are all told by lines). Values
    in ``sidecar`` (see :func:`read_sidecar`) replace what the text says.
    """
    lines = prepare_lines(text)
    fields = read_fields(lines)
    header = read_header(lines, fields.get("title"))
    found = DocumentIdentity(
        id=slug_of(filename),
        title=header.title or _stem(filename),
        number=_number(fields, header),
        issuers=(),
        signed=None, published=None, effective=None,
        region=None, type=None, status="unknown",
        notice_title=header.notice_title,
        source=filename,
    )
    found = _with_dates_and_issuers(found, lines, fields, header)
    if sidecar:
        found = replace(found, **check_sidecar(sidecar, f"{filename}{SUFFIX}"))
    dated = _dated_wording(lines, found)
    found = replace(found, header="\n".join(dict.fromkeys(
        [line for line in header.head_lines if line.strip()] + dated)) or None)
    return _derived(found, sidecar or {})


_CONTEXT = 40  # characters kept either side of a date in a long (glued) line


def _dated_wording(lines: list[str], found: DocumentIdentity) -> list[str]:
    """The document's own wording of its dates and 文号 (a signature line, 「本条例自…起施行」), so an
    answer about them can quote the text; a glued line is cut to the words around the value."""
    values = [v for v in (found.number, found.signed, found.published, found.effective) if v]
    forms = [f for v in values for f in written_forms(v)]
    out = []
    for line in lines:
        for form in forms:
            at = line.find(form)
            if at >= 0:
                out.append(line.strip() if len(line) <= 2 * _CONTEXT else
                           line[max(at - _CONTEXT, 0): at + len(form) + _CONTEXT].strip())
    return out


def written_forms(value: str) -> tuple[str, ...]:
    """2020-01-01 as a text writes it, 2020年1月1日; any other value as it is."""
    parts = value.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return (f"{parts[0]}年{int(parts[1])}月{int(parts[2])}日", value)
    return (value,)


def _stem(filename: str) -> str:
    return PurePath(filename).stem


def _number(fields: dict, header: Header) -> str | None:
    if fields.get("number"):
        return numbers.normalise_text(fields["number"])
    return header.number


def _with_dates_and_issuers(found: DocumentIdentity, lines: list[str], fields: dict,
                            header: Header) -> DocumentIdentity:
    head = list(header.head_lines)
    dated = clauses.dated_clauses(head)
    adopted = [d for verb in clauses.ADOPTION for d in dated.get(verb, [])]
    signature = find_signature([header.glued_rest, *lines[header.after_title:]], 0)
    sig_date = signature.date if signature else None
    # Under a 令 or 公告 the date over the body is when it was promulgated, not signed.
    signed = fields.get("signed") or (max(adopted) if adopted else None) or (None if header.promulgated else sig_date)
    published = (fields.get("published") or _first(dated, "公布", "发布")
                 or (sig_date if header.promulgated else None) or printed_date(lines))
    effective = fields.get("effective") or _first(dated, "施行") or clauses.in_force_from("\n".join(lines))
    adopter = clauses.adopting_body(head)
    # Most explicit first: the title names its issuers; a signature, a 令 or a meeting
    # that adopted the text name them less directly; a letterhead may list only the lead.
    candidates = (
        header.title_issuers,
        split_issuers(fields["issuers"]) if fields.get("issuers") else None,
        signature.issuers if signature else None,
        (split_issuers(header.order_issuer) or (header.order_issuer,)) if header.order_issuer else None,
        (adopter,) if adopter else None,
        header.letterhead_issuers,
    )
    issuers = next((c for c in candidates if c), ())
    return replace(found, issuers=_unique(normalise_issuer(n) for n in issuers),
                   signed=signed, published=published, effective=effective)


def _first(dated: dict[str, list[str]], *verbs: str) -> str | None:
    return next((dated[v][0] for v in verbs if dated.get(v)), None)


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if n))


def _derived(found: DocumentIdentity, sidecar: dict) -> DocumentIdentity:
    """Region and type follow from the final issuers and title unless the sidecar set them."""
    return replace(
        found,
        region=sidecar["region"] if "region" in sidecar else region_of(found.issuers),
        type=sidecar["type"] if "type" in sidecar else doc_type(found.title),
    )
