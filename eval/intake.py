"""``python -m eval.intake``: which library reads which format best, measured on the development library.

Every text of eval/library is made into a Chromium-printed PDF, a ReportLab PDF (and a
LibreOffice PDF when ``soffice`` is installed), a python-docx DOCX and a saved gov.cn-style
page. Each candidate library extracts them, the intake noise rules clean the result, and the
table gives, per format, producer and library: the share of source sentences found verbatim
(all documents pooled, and the worst document), the noise left (page numbers, running headers,
spaces next to Chinese characters, words of the page chrome) and the extraction time. A second
table measures text decoding on the library in UTF-8, GB18030 and Big5.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval import intake_files as make
from eval.intake_match import chrome_left, furniture_left, sentence_match
from rag.corpus.intake import extract
from rag.corpus.intake.noise import clean
from rag.corpus.intake.webpage import page_text

LIBRARY = Path(__file__).resolve().parent / "library"
FOOTER_CYCLE = ("dash", "of", "hyphen", "bare")


@dataclass
class Row:
    fmt: str
    producer: str
    library: str
    kept: int = 0
    total: int = 0
    worst: float = 1.0
    reworded: int = 0
    noise: int = 0
    seconds: float = 0.0
    docs: int = 0

    def add(self, source: str, extracted: str, noise: int, seconds: float) -> None:
        match = sentence_match(source, extracted)
        self.kept += match.kept
        self.total += match.total
        self.worst = min(self.worst, match.share)
        # A sentence missing even when line breaks are ignored has its wording or order changed,
        # not just a wrapped line left unjoined.
        flat = extracted.replace("\n", "")
        self.reworded += sum(1 for sentence in match.missing if sentence not in flat)
        self.noise += noise
        self.seconds += seconds
        self.docs += 1

    def cells(self) -> list[str]:
        share = self.kept / self.total if self.total else 0.0
        return [self.fmt, self.producer, self.library, str(self.docs), f"{share:.2%} ({self.kept}/{self.total})",
                f"{self.worst:.2%}", str(self.reworded), str(self.noise), f"{self.seconds:.2f}"]


@dataclass(frozen=True)
class Source:
    name: str
    text: str
    lines: list[str]
    header: str


def pdf_libraries() -> dict[str, Callable[[Path], list[str]]]:
    """Each candidate PDF library, as the page texts it extracts."""
    def with_pypdf(path: Path) -> list[str]:
        from pypdf import PdfReader
        return [page.extract_text() or "" for page in PdfReader(path).pages]

    def with_pdfplumber(path: Path) -> list[str]:
        import pdfplumber
        with pdfplumber.open(path) as pdf:
            return [page.extract_text() or "" for page in pdf.pages]

    def with_pdfminer(path: Path) -> list[str]:
        from pdfminer.high_level import extract_text
        return extract_text(str(path)).rstrip("\f").split("\f")

    return {"pypdf": with_pypdf, "pdfplumber": with_pdfplumber, "pdfminer.six": with_pdfminer}


def html_libraries() -> dict[str, Callable[[str], str]]:
    libraries: dict[str, Callable[[str], str]] = {"lxml + density heuristic": page_text}
    try:
        import trafilatura
    except ImportError as e:  # it needs lxml_html_clean beside lxml >= 5.2, which it does not declare
        print(f"trafilatura not measured: {e}", file=sys.stderr)
    else:
        libraries["trafilatura"] = lambda html: trafilatura.extract(html, include_tables=True, favor_recall=True) or ""
    return libraries


def make_pdfs(sources: Sequence[Source], folder: Path) -> dict[str, list[Path]]:
    made: dict[str, list[Path]] = {"reportlab (STSong-Light)": []}
    chromium = make.CHROMIUM.exists()
    if chromium:
        made["chromium print-to-pdf"] = []
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        made["libreoffice (from the DOCX)"] = []
    for i, src in enumerate(sources):
        footer = FOOTER_CYCLE[i % len(FOOTER_CYCLE)]
        made["reportlab (STSong-Light)"].append(
            make.reportlab_pdf(src.lines, folder / f"{src.name}.rl.pdf", src.header, footer))
        if chromium:
            made["chromium print-to-pdf"].append(
                make.chromium_pdf(make.print_page(src.lines, src.header, footer), folder / f"{src.name}.cr.pdf"))
        if soffice:
            docx = make.word_docx(src.lines, folder / f"{src.name}.lo.docx")
            subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder / "lo"), str(docx)],
                           check=True, capture_output=True, timeout=300)
            made["libreoffice (from the DOCX)"].append(folder / "lo" / f"{src.name}.lo.pdf")
    return made


def measure(sources: Sequence[Source], folder: Path) -> list[Row]:
    rows: list[Row] = []
    for producer, paths in make_pdfs(sources, folder).items():
        for library, read in pdf_libraries().items():
            row = Row("PDF", producer, library)
            for src, path in zip(sources, paths):
                start = time.perf_counter()
                pages = read(path)
                seconds = time.perf_counter() - start
                text, _ = clean("\f".join(pages), "paged")
                row.add(src.text, text, furniture_left(src.text, text, src.header), seconds)
            rows.append(row)
    row = Row("DOCX", "python-docx", "python-docx (body order, list numbers)")
    for src in sources:
        path = make.word_docx(src.lines, folder / f"{src.name}.docx")
        start = time.perf_counter()
        text = extract(path).text
        row.add(src.text, text, 0, time.perf_counter() - start)
    rows.append(row)
    layouts = {"gov.cn-style page (div, p)": make.gov_page, "older site (tables, font, br)": make.gov_page_legacy}
    for layout, maker in layouts.items():
        pages = [maker(src.lines) for src in sources]
        for library, read in html_libraries().items():
            row = Row("HTML", layout, library)
            for src, html in zip(sources, pages):
                start = time.perf_counter()
                extracted = read(html)
                seconds = time.perf_counter() - start
                text, _ = clean(extracted, "flow")
                row.add(src.text, text, len(chrome_left(src.text, text)), seconds)
            rows.append(row)
    return rows


def measure_decoding(sources: Sequence[Source]) -> list[list[str]]:
    """Right decodes out of the library, whole files and 40-character snippets, per approach and encoding."""
    import opencc
    from charset_normalizer import from_bytes

    from rag.corpus.intake.decode import decode

    def cascade(data: bytes) -> str | None:
        for encoding in ("utf-8", "gb18030", "big5"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        return None

    def normalizer(data: bytes) -> str | None:
        best = from_bytes(data).best()
        return str(best) if best else None

    approaches = {"strict utf-8 → gb18030 → big5 cascade": cascade, "charset-normalizer (any code page)": normalizer,
                  "intake: utf-8, then charset-normalizer on gb18030/big5": lambda data: decode(data)[0]}
    traditional = opencc.OpenCC("s2t")
    rows = []
    for encoding in ("utf-8", "gb18030", "big5"):
        for size in (None, 40):
            samples = []
            for src in sources:
                text = traditional.convert(src.text) if encoding == "big5" else src.text
                text = text if size is None else text[500:500 + size]
                data = text.encode(encoding, errors="ignore")
                samples.append((data.decode(encoding), data))
            cells = [encoding, "whole file" if size is None else f"{size} characters"]
            for approach in approaches.values():
                start = time.perf_counter()
                right = sum(1 for text, data in samples if approach(data) == text)
                cells.append(f"{right}/{len(samples)} ({(time.perf_counter() - start) * 1000:.0f} ms)")
            rows.append(cells)
    return [["encoding", "sample", *approaches]] + rows


def table(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def load_sources(limit: int | None) -> list[Source]:
    sources = []
    for path in sorted(LIBRARY.glob("*.txt"))[:limit]:
        text = path.read_text(encoding="utf-8")
        lines = make.policy_lines(text)
        sources.append(Source(path.stem, text, lines, make.running_header(lines)))
    return sources


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=None, help="only the first N library texts")
    parser.add_argument("--keep", type=Path, default=None, help="write the generated files here and keep them")
    args = parser.parse_args(argv)
    # pdfminer warns once per page about ReportLab's CID font descriptor; the table is the output.
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    sources = load_sources(args.documents)
    with tempfile.TemporaryDirectory(prefix="intake-eval-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = measure(sources, folder)
    header = ["format", "made by", "read by", "docs", "sentences kept", "worst document", "of them reworded",
              "noise left", "seconds"]
    print(f"{len(sources)} library texts, {sum(len(s.text) for s in sources):,} characters\n")
    print(table([header] + [r.cells() for r in rows]))
    print()
    print(table(measure_decoding(sources)))


if __name__ == "__main__":
    main()
