"""Reading uploaded tables: CSV, TSV and XLSX, their encoding, delimiter and header layout.

:func:`open_table` looks at a file once (size, type, encoding, delimiter, header layout) and returns a
:class:`TableFile` that hands out the data in chunks, so a file of a million rows never sits in memory as text.
Every problem that makes the file unreadable becomes an :class:`~cxdash.imports.errors.UploadError` that says
what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd

from cxdash.imports import workbooks
from cxdash.imports.encodings import control_share, decode_head, detect_encoding, utf16_without_bom
from cxdash.imports.errors import UploadError
from cxdash.imports.layouts import Layout, detect_layout

HEAD_BYTES = 1 << 20
DEFAULT_MAX_MB = 200.0
DEFAULT_MAX_ROWS = 2_000_000
# Cells that mean "no answer" in exports (问卷星 writes (跳过) for a skipped question).
NA_VALUES = ["", "NA", "N/A", "n/a", "#N/A", "NULL", "null", "None", "-", "—", "(空)", "(跳过)", "(跳過)"]
DELIMITERS = [",", ";", "\t", "|"]


@dataclass(frozen=True)
class Limits:
    """The largest upload accepted: bytes and data rows."""

    max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)
    max_rows: int = DEFAULT_MAX_ROWS


def limits(setting_mb: float | None = None, setting_rows: int | None = None) -> Limits:
    """The upload limits: ``CXDASH_MAX_UPLOAD_MB`` / ``CXDASH_MAX_IMPORT_ROWS`` win over the settings given."""
    mb = float(os.environ.get("CXDASH_MAX_UPLOAD_MB") or setting_mb or DEFAULT_MAX_MB)
    rows = int(os.environ.get("CXDASH_MAX_IMPORT_ROWS") or setting_rows or DEFAULT_MAX_ROWS)
    return Limits(int(mb * 1024 * 1024), rows)


@dataclass(frozen=True)
class FileInput:
    """An uploaded file: its name and either its bytes (from the page) or a path (from the CLI)."""

    name: str
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def from_path(cls, path: str | Path) -> FileInput:
        """A file on disk."""
        p = Path(path)
        return cls(p.name, path=p)

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data) if self.data is not None else self.path.stat().st_size  # type: ignore[union-attr]

    def open(self) -> IO[bytes]:
        """A binary stream over the content."""
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")  # type: ignore[arg-type]

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """The first ``n`` bytes."""
        with self.open() as fh:
            return fh.read(n)

    def sha256(self) -> str:
        """SHA-256 of the content (hex)."""
        h = hashlib.sha256()
        with self.open() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()

    def find(self, needle: bytes) -> int:
        """Offset of the first ``needle`` in the content, or -1."""
        offset, tail = 0, b""
        with self.open() as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                pos = (tail + block).find(needle)
                if pos >= 0:
                    return offset - len(tail) + pos
                offset += len(block)
                tail = block[-len(needle) + 1 :] if len(needle) > 1 else b""
        return -1

    def line_of(self, offset: int) -> int:
        """The 1-based line number holding byte ``offset``."""
        with self.open() as fh:
            return fh.read(offset).count(b"\n") + 1


def sniff_delimiter(text: str, file_name: str = "") -> str:
    """Pick the delimiter that splits the first records into the most, and most consistent, columns."""
    best, best_score = ("\t" if file_name.lower().endswith((".tsv", ".tab")) else ","), 0.0
    for delim in DELIMITERS:
        widths = [len(r) for _, r in zip(range(30), csv.reader(io.StringIO(text[:200000]), delimiter=delim), strict=False) if r]
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        score = (mode - 1) * widths.count(mode) / len(widths) if mode > 1 else 0.0
        if score > best_score:
            best, best_score = delim, score
    return best


@dataclass
class TableFile:
    """An opened table: how to read it and its header layout."""

    file: FileInput
    kind: str  # csv | xlsx
    encoding: str | None
    delimiter: str | None
    layout: Layout
    sheets: list[str]
    sheet: str | None
    limits: Limits
    _rows: list[list[Any]] | None = None  # XLSX data rows (already in memory)

    @property
    def columns(self) -> list[str]:
        """Column names (unique)."""
        return self.layout.columns

    def estimated_rows(self) -> int:
        """The data rows: exact for XLSX and for text files that fit in the first megabyte, else estimated from
        the records in that megabyte (within a few per cent for files whose rows are alike)."""
        if self._rows is not None:
            return max(1, len(self._rows))
        head = self.file.head(HEAD_BYTES)
        complete = len(head) >= self.file.size
        text = decode_head(head, self.encoding or "utf-8", complete).lstrip("\ufeff")
        try:
            records = sum(1 for r in csv.reader(io.StringIO(text), delimiter=self.delimiter or ",") if r)
        except csv.Error:
            records = text.count("\n") + 1
        if complete:
            return max(1, records - self.layout.top_rows)
        # The last record of the head is cut off: rows per byte over the whole records, applied to the size.
        per_byte = max(1, records - 1) / max(1, len(head))
        return max(1, int(self.file.size * per_byte) - self.layout.top_rows)

    def sample(self, n: int = 2000) -> pd.DataFrame:
        """The first ``n`` data rows, every column as text."""
        frames = list(self.frames(n, text_columns=set(self.columns), max_chunks=1))
        return frames[0] if frames else pd.DataFrame(columns=self.columns, dtype="str")

    def frames(
        self,
        chunk_rows: int = 100_000,
        usecols: list[str] | None = None,
        text_columns: set[str] | None = None,
        max_chunks: int | None = None,
    ) -> Iterator[pd.DataFrame]:
        """Yield the data in chunks; columns in ``text_columns`` stay text, others are numbers where clean.

        Each chunk's index is the spreadsheet row number of each row. Raises :class:`UploadError` when the
        file breaks mid-way (bad bytes, ragged rows) or passes the row limit.
        """
        source = self._xlsx_frames(chunk_rows, usecols) if self.kind == "xlsx" else self._csv_frames(
            chunk_rows, usecols, text_columns or set()
        )
        seen = 0
        for i, frame in enumerate(source):
            if max_chunks is not None and i >= max_chunks:
                return
            seen += len(frame)
            if seen > self.limits.max_rows:
                raise UploadError("imports.error.too_many_rows", limit=f"{self.limits.max_rows:,}")
            yield frame

    def _csv_frames(self, chunk_rows: int, usecols: list[str] | None, text_columns: set[str]) -> Iterator[pd.DataFrame]:
        wanted = usecols or self.columns
        dtype = {c: "str" for c in wanted if c in text_columns}
        start = self.layout.top_rows + 1
        with self.file.open() as fh:
            try:
                reader = pd.read_csv(
                    fh, sep=self.delimiter, encoding=self.encoding, encoding_errors="strict", header=None,
                    names=self.columns, skiprows=self.layout.top_rows, dtype=dtype,
                    na_values=NA_VALUES, keep_default_na=False, skip_blank_lines=False, chunksize=chunk_rows,
                    engine="c", index_col=False, quotechar='"',
                )
                # All columns are parsed (no usecols): with usecols the parser silently drops the extra fields of
                # a ragged row, and a shifted row must be refused, not loaded into the wrong fields.
                for chunk in reader:
                    chunk = chunk[wanted]
                    chunk.index = pd.RangeIndex(start, start + len(chunk))
                    start += len(chunk)
                    yield chunk
            except pd.errors.EmptyDataError:
                return
            except UnicodeDecodeError as exc:
                raise self._decode_error() from exc
            except pd.errors.ParserError as exc:
                raise UploadError("imports.error.ragged", detail=str(exc).strip()) from exc

    def _decode_error(self) -> UploadError:
        decoder = codecs.getincrementaldecoder(self.encoding or "utf-8")()
        offset = 0
        with self.file.open() as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    return UploadError(
                        "imports.error.bad_bytes", line=self.file.line_of(offset + max(0, exc.start)),
                        encoding=self.encoding,
                    )
                offset += len(block)
        return UploadError("imports.error.bad_bytes", line="?", encoding=self.encoding)

    def _xlsx_frames(self, chunk_rows: int, usecols: list[str] | None) -> Iterator[pd.DataFrame]:
        rows = self._rows or []
        width = len(self.columns)
        wanted = usecols or self.columns
        for lo in range(0, len(rows), chunk_rows):
            block = [(r + [None] * width)[:width] for r in rows[lo : lo + chunk_rows]]
            frame = workbooks.to_frame(block, self.columns)[wanted]
            frame.index = pd.RangeIndex(self.layout.top_rows + 1 + lo, self.layout.top_rows + 1 + lo + len(block))
            yield frame


def open_table(
    file: FileInput,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    limit: Limits | None = None,
) -> TableFile:
    """Open an uploaded CSV/TSV/XLSX: check its size and type, detect encoding, delimiter and layout.

    ``encoding``, ``delimiter`` and ``sheet`` override what is detected.

    Raises:
        UploadError: empty, too big, not a table, an old .xls, undecodable, or no header.
    """
    limit = limit or limits()
    size = file.size
    if size == 0:
        raise UploadError("imports.error.empty")
    if size > limit.max_bytes:
        raise UploadError(
            "imports.error.too_big", size=f"{size / 1048576:.1f}", limit=f"{limit.max_bytes / 1048576:.0f}"
        )
    head = file.head()
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("imports.error.old_xls")
    if head.startswith(b"PK\x03\x04") or file.name.lower().endswith((".xlsx", ".xlsm")):
        return _open_xlsx(file, sheet, limit)
    return _open_csv(file, head, encoding, delimiter, limit)


def _open_csv(file: FileInput, head: bytes, encoding: str | None, delimiter: str | None, limit: Limits) -> TableFile:
    complete = len(head) >= file.size
    if not encoding and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not utf16_without_bom(head):
        raw_controls = sum(1 for b in head[:20000] if b < 32 and b not in (9, 10, 13)) / max(1, len(head[:20000]))
        if raw_controls > 0.02:
            raise UploadError("imports.error.not_text")
        nul = file.find(b"\x00")
        if nul >= 0:
            raise UploadError("imports.error.nul_bytes", line=file.line_of(nul))
    enc = encoding or detect_encoding(head, complete)
    text = decode_head(head, enc, complete)
    if control_share(text) > 0.02:
        raise UploadError("imports.error.not_text")
    delim = delimiter or sniff_delimiter(text, file.name)
    records = [r for _, r in zip(range(40), csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delim), strict=False)]
    layout = detect_layout(records)
    if not layout.columns:
        raise UploadError("imports.error.empty")
    if len(layout.columns) == 1:
        other = next((d for d in DELIMITERS if d != delim and d in layout.columns[0]), None)
        if other:
            raise UploadError("imports.error.one_column", found=repr(other), used=repr(delim))
    return TableFile(file, "csv", enc, delim, layout, [], None, limit)


def _open_xlsx(file: FileInput, sheet: str | None, limit: Limits) -> TableFile:
    book = workbooks.read_workbook(file.open(), sheet)
    layout = detect_layout(book.rows[:40])
    if not layout.columns:
        raise UploadError("imports.error.empty_sheet", sheet=book.sheet, sheets=", ".join(book.sheets))
    data = book.rows[layout.top_rows :]
    return TableFile(file, "xlsx", None, None, layout, book.sheets, book.sheet, limit, data)
