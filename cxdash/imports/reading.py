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
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import pandas as pd

from cxdash.imports import workbooks
from cxdash.imports.encodings import (
    check_encoding,
    control_share,
    decode_head,
    detect_encoding,
    mojibake_share,
    text_codec,
    trailing_cut,
    utf16_without_bom,
)
from cxdash.imports.errors import UploadError
from cxdash.imports.layouts import Layout, detect_layout

HEAD_BYTES = 1 << 20
DEFAULT_MAX_MB = 200.0
DEFAULT_MAX_ROWS = 2_000_000
# A workbook is read into memory (CSV streams): this many cells is about 150 MB of Python values.
DEFAULT_MAX_CELLS = 2_000_000
# Cells that mean "no answer" in exports (问卷星 writes (跳过) for a skipped question).
NA_VALUES = ["", "NA", "N/A", "n/a", "#N/A", "NULL", "null", "None", "-", "—", "(空)", "(跳过)", "(跳過)"]
DELIMITERS = [",", ";", "\t", "|"]
# Python's csv module refuses fields over 131,072 characters by default; a long comment is a row error (too long),
# not a crash. Above this a "field" is an unclosed quote swallowing the rest of the file.
MAX_FIELD_CHARS = 16 * 1024 * 1024
# A last record open in a quote over more lines than this swallowed rows (a stray quote), it was not cut off.
MAX_QUOTED_LINES = 20
# Byte-order marks and zero-width characters inside cells: invisible, but they make "C001" and "\ufeffC001" two ids.
INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060]")
MOJIBAKE_WARN_SHARE = 0.02


def _csv_reader(lines: Any, delimiter: str) -> Any:
    """A csv reader over ``lines`` that accepts long fields (the limit is process-wide; setting it is idempotent)."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    return csv.reader(lines, delimiter=delimiter, quotechar='"')


@dataclass(frozen=True)
class Limits:
    """The largest upload accepted: bytes and data rows."""

    max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)
    max_rows: int = DEFAULT_MAX_ROWS
    max_cells: int = DEFAULT_MAX_CELLS


def limits(setting_mb: float | None = None, setting_rows: int | None = None) -> Limits:
    """The upload limits: ``CXDASH_MAX_UPLOAD_MB`` / ``CXDASH_MAX_IMPORT_ROWS`` win over the settings given."""
    mb = float(os.environ.get("CXDASH_MAX_UPLOAD_MB") or setting_mb or DEFAULT_MAX_MB)
    rows = int(os.environ.get("CXDASH_MAX_IMPORT_ROWS") or setting_rows or DEFAULT_MAX_ROWS)
    cells = int(os.environ.get("CXDASH_MAX_XLSX_CELLS") or DEFAULT_MAX_CELLS)
    return Limits(int(mb * 1024 * 1024), rows, cells)


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


def _lines(text: str) -> io.StringIO:
    """Text as a stream of lines, with CR-only (old Mac) and CRLF line ends read as line ends."""
    return io.StringIO(text, newline=None)


def sniff_delimiter(text: str, file_name: str = "") -> str:
    """Pick the delimiter that splits the first records into the most, and most consistent, columns."""
    best, best_score = ("\t" if file_name.lower().endswith((".tsv", ".tab")) else ","), 0.0
    for delim in DELIMITERS:
        try:
            widths = [len(r) for _, r in zip(range(30), _csv_reader(_lines(text[:200000]), delim), strict=False) if r]
        except csv.Error:
            continue
        if not widths:
            continue
        mode = max(set(widths), key=widths.count)
        score = (mode - 1) * widths.count(mode) / len(widths) if mode > 1 else 0.0
        if score > best_score:
            best, best_score = delim, score
    return best


def check_delimiter(delimiter: str) -> str:
    """The delimiter chosen by hand, if it can be one: a single character that is not a quote or a line end.

    Raises:
        UploadError: anything else (``;;``, an empty string, a quote).
    """
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise UploadError("imports.error.bad_delimiter", delimiter=repr(delimiter))
    return delimiter


class _Limited(io.RawIOBase):
    """The first ``size`` bytes of a binary stream (a file minus the half character cut off at its end)."""

    def __init__(self, raw: IO[bytes], size: int) -> None:
        self.raw, self.left = raw, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.left)
        data = self.raw.read(want) if want > 0 else b""
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _unclosed_quote(text: str, delimiter: str) -> bool:
    """True when a record ends inside a quoted field (the file stops before the closing quote)."""
    if '"' not in text:
        return False
    try:
        csv.field_size_limit(MAX_FIELD_CHARS)
        list(csv.reader(_lines(text), delimiter=delimiter, quotechar='"', strict=True))
    except csv.Error as exc:
        return "end of data" in str(exc)
    return False


def _strip_invisible(frame: pd.DataFrame) -> pd.DataFrame:
    """Remove byte-order marks and zero-width characters from the text cells of a chunk (a cell left empty is
    missing)."""
    frame = frame.copy()
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values):
            continue
        if isinstance(values.dtype, pd.StringDtype):
            cleaned = values.str.replace(INVISIBLE.pattern, "", regex=True)
        else:
            cleaned = values.map(lambda v: INVISIBLE.sub("", v) if isinstance(v, str) else v)
        frame[col] = cleaned.where(cleaned != "")
    return frame


class Record(NamedTuple):
    """One record of a delimited file: row number, first physical line, raw text, field count, and its fields
    when a parser was needed to find them (quoted cells)."""

    row: int
    line: int
    text: str
    n_fields: int
    fields: list[str] | None


@dataclass(frozen=True)
class BadRecord:
    """A record that cannot be loaded as it stands: its row number, physical line, reason key and detail."""

    row: int
    line: int
    reason: str  # too_many_fields | too_few_fields | truncated
    detail: str
    text: str


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
    warnings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (catalog key, parameters) to show

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
        # Never final: a character cut at the very end is the reader's "truncated" record, not a count's error.
        text = decode_head(head, self.encoding or "utf-8", False).lstrip("\ufeff")
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
        if not frames:
            return pd.DataFrame(columns=self.columns, dtype="str")
        frames[0].attrs.clear()  # the bad records belong to the import's row errors, not to the sample shown
        return frames[0]

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

    def _text_stream(self) -> tuple[IO[str], bool]:
        """The file as decoded lines (universal line ends); True when a character was cut off at its end."""
        raw = self.file.open()
        cut = trailing_cut(raw, self.file.size, self.encoding or "utf-8")
        raw.seek(0)
        binary: IO[bytes] = io.BufferedReader(_Limited(raw, self.file.size - cut)) if cut else raw
        codec = text_codec(self.encoding or "utf-8")
        return io.TextIOWrapper(binary, encoding=codec, errors="strict", newline=None), cut > 0

    def _records(self) -> Iterator[Record]:
        """Yield every data record, then one with row -1 when the file ended inside a character.

        A line without a quote is a whole record whose fields are its delimiters plus one (no parser needed:
        most lines of an export); a line with a quote starts a record the csv module reads, over as many lines as
        its quoted cells span.

        Raises:
            UploadError: undecodable bytes, or a quote opened and never closed that swallows the file.
        """
        stream, cut = self._text_stream()
        delim = self.delimiter or ","
        raw: list[str] = []
        lines = iter(stream)

        def pulled() -> Iterator[str]:
            for more in lines:
                raw.append(more)
                yield more

        row = line = 0
        with stream:
            try:
                for text in lines:
                    row += 1
                    first = line + 1
                    if '"' not in text:
                        line += 1
                        if row > self.layout.top_rows:
                            yield Record(row, first, text, text.count(delim) + 1, None)
                        continue
                    raw[:] = [text]
                    fields = next(_csv_reader(itertools.chain([text], pulled()), delim))
                    text = "".join(raw)
                    line += len(raw)
                    if row > self.layout.top_rows:
                        yield Record(row, first, text, len(fields), fields)
            except csv.Error as exc:
                raise UploadError("imports.error.unclosed_quote", line=line + 1) from exc
            except UnicodeDecodeError as exc:
                raise self._decode_error() from exc
        if cut:
            yield Record(-1, 0, "", 0, None)

    def _csv_frames(self, chunk_rows: int, usecols: list[str] | None, text_columns: set[str]) -> Iterator[pd.DataFrame]:
        """Parse the file record by record: every record's field count is checked against the header.

        A record with more or fewer fields is not loaded (an unquoted delimiter inside a value would shift the rest
        of the row into the wrong fields); it travels with its chunk in ``frame.attrs["bad_records"]``. The last
        record is "truncated" when it is short, ends inside a quote, or the file ends inside a character.
        """
        wanted = usecols or self.columns
        dtype = {c: "str" for c in wanted if c in text_columns}
        width = len(self.columns)
        optional = 0
        for i in range(width, 0, -1):  # blank header names at the end (named column_N by the layout)
            if self.columns[i - 1] != f"column_{i}":
                break
            optional += 1
        texts: list[str] = []
        numbers: list[int] = []
        bad: list[BadRecord] = []
        pending: Record | None = None
        for record in self._records():
            if pending is not None:
                if record.row == -1 and not self._blank(pending):
                    bad.append(BadRecord(pending.row, pending.line, "truncated", str(pending.line), pending.text))
                else:
                    self._take(pending, width, optional, texts, numbers, bad)
                if len(numbers) + len(bad) >= chunk_rows:
                    yield self._frame(texts, numbers, bad, wanted, dtype)
                    texts, numbers, bad = [], [], []
            pending = record if record.row != -1 else None
        if pending is not None:
            short = pending.n_fields < width - optional and not self._blank(pending)
            unclosed = _unclosed_quote(pending.text, self.delimiter or ",")
            if unclosed and pending.text.count("\n") > MAX_QUOTED_LINES:
                # Not a cut-off last cell: a quote opened here swallowed the rows after it.
                raise UploadError("imports.error.unclosed_quote", line=pending.line)
            if short or unclosed:
                bad.append(BadRecord(pending.row, pending.line, "truncated", str(pending.line), pending.text))
            else:
                self._take(pending, width, optional, texts, numbers, bad)
        if numbers or bad:
            yield self._frame(texts, numbers, bad, wanted, dtype)

    def _blank(self, record: Record) -> bool:
        """A record with nothing in it (an empty line, or only delimiters and spaces)."""
        return not record.text.strip((self.delimiter or ",") + ' \t\r\n"')

    def _take(self, record: Record, width: int, optional: int, texts: list[str], numbers: list[int],
              bad: list[BadRecord]) -> None:
        """Keep a record for the parser (fitted to the header's columns) or list it as a bad record."""
        if self._blank(record):
            return  # a blank line: keeps its row number, holds nothing
        text, n = record.text, record.n_fields
        if n != width:
            fields = record.fields if record.fields is not None else text.rstrip("\r\n").split(self.delimiter or ",")
            # Trailing delimiters (empty fields past the last column) and a header whose last names are blank
            # (rows that stop before them) lose nothing; anything else could shift values into the wrong columns.
            if n > width and not any(f.strip() for f in fields[width:]):
                fitted = fields[:width]
            elif width - optional <= n < width:
                fitted = fields + [""] * (width - n)
            else:
                reason = "too_many_fields" if n > width else "too_few_fields"
                bad.append(BadRecord(record.row, record.line, reason, f"{n} / {width}", text))
                return
            buf = io.StringIO()  # re-written so the parser sees exactly the header's columns
            csv.writer(buf, delimiter=self.delimiter or ",", lineterminator="\n").writerow(fitted)
            text = buf.getvalue()
        elif not text.endswith("\n"):
            text += "\n"
        texts.append(text)
        numbers.append(record.row)

    def _frame(self, texts: list[str], numbers: list[int], bad: list[BadRecord], wanted: list[str],
               dtype: dict[str, str]) -> pd.DataFrame:
        """One chunk as a DataFrame indexed by row number (the parser reads the checked records only)."""
        body = "".join(texts)
        if not texts:
            frame = pd.DataFrame({c: pd.Series(dtype="str") for c in wanted})
        else:
            try:
                frame = pd.read_csv(  # bytes: the C parser reads them without a round trip through Python text
                    io.BytesIO(body.encode("utf-8")), encoding="utf-8", sep=self.delimiter, header=None,
                    names=self.columns, dtype=dtype, na_values=NA_VALUES, keep_default_na=False, skip_blank_lines=False, engine="c",
                    index_col=False, quotechar='"',
                )[wanted]
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
                raise UploadError("imports.error.ragged", detail=str(exc).strip()[:200]) from exc
            if len(frame) != len(numbers):  # the two parsers disagree on a record: refuse rather than misalign
                raise UploadError("imports.error.ragged", detail=f"{len(frame)} / {len(numbers)}")
            if INVISIBLE.search(body):
                frame = _strip_invisible(frame)
        frame.index = pd.Index(numbers, dtype="int64")
        frame.attrs["bad_records"] = bad
        return frame

    def _decode_error(self) -> UploadError:
        decoder = codecs.getincrementaldecoder(text_codec(self.encoding or "utf-8"))()
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
    if encoding:
        encoding = check_encoding(encoding)
    if delimiter is not None:
        delimiter = check_delimiter(delimiter)
    if not encoding and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not utf16_without_bom(head):
        raw_controls = sum(1 for b in head[:20000] if b < 32 and b not in (9, 10, 13)) / max(1, len(head[:20000]))
        if raw_controls > 0.02:
            raise UploadError("imports.error.not_text")
        nul = file.find(b"\x00")
        if nul >= 0:
            raise UploadError("imports.error.nul_bytes", line=file.line_of(nul))
    enc = encoding or detect_encoding(head, complete)
    # Not final even for a whole file: a character cut off at the very end is the reader's "truncated" record.
    text = decode_head(head, enc, False)
    if control_share(text) > 0.02:
        raise UploadError("imports.error.not_text")
    delim = delimiter or sniff_delimiter(text, file.name)
    try:
        records = [r for _, r in zip(range(40), _csv_reader(_lines(text.lstrip("\ufeff")), delim), strict=False)]
    except csv.Error as exc:
        raise UploadError("imports.error.unclosed_quote", line="1-40") from exc
    layout = detect_layout(records)
    if not layout.columns:
        raise UploadError("imports.error.empty")
    if len(layout.columns) == 1:
        other = next((d for d in DELIMITERS if d != delim and d in layout.columns[0]), None)
        if other:
            raise UploadError("imports.error.one_column", found=repr(other), used=repr(delim))
    warnings = _layout_warnings(layout)
    share = mojibake_share(text, enc)
    if share > MOJIBAKE_WARN_SHARE:
        warnings.append(("imports.warn.mojibake", {"encoding": enc, "share": f"{share:.0%}"}))
    return TableFile(file, "csv", enc, delim, layout, [], None, limit, warnings=warnings)


def _layout_warnings(layout: Layout) -> list[tuple[str, dict[str, Any]]]:
    """Warnings about the header: a repeated column name (each copy is kept under a distinct name)."""
    return [
        ("imports.warn.repeated_header", {"name": name, "positions": ", ".join(map(str, positions)),
                                          "renamed": ", ".join(f'"{n}"' for n in renamed)})
        for name, positions, renamed in layout.repeated
    ]


def _open_xlsx(file: FileInput, sheet: str | None, limit: Limits) -> TableFile:
    book = workbooks.read_workbook(file.open(), sheet, limit.max_rows, limit.max_cells)
    layout = detect_layout(book.rows[:40])
    if not layout.columns:
        raise UploadError("imports.error.empty_sheet", sheet=book.sheet, sheets=", ".join(book.sheets))
    data = book.rows[layout.top_rows :]
    return TableFile(file, "xlsx", None, None, layout, book.sheets, book.sheet, limit, data,
                     warnings=_layout_warnings(layout))
