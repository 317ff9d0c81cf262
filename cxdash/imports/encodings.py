"""Which text encoding a file is in: BOMs, UTF-16 without BOM, UTF-8, everyday Chinese (GB18030 or Big5), else
the Western code pages, with a clear refusal when bytes mix encodings or a character is cut.

Chinese is decided by how many of the decoded characters are everyday ones in each encoding's own first-level
table: real text decodes to nearly all everyday characters in its true encoding and to rare characters, kana and
symbols in the other, which short files fool statistical detectors with.
"""

from __future__ import annotations

import codecs
import re
from typing import IO, Any

import charset_normalizer

from cxdash.imports.errors import UploadError

# Western encodings charset-normalizer picks among when the text is not Chinese (Chinese is decided below).
CANDIDATES = ["cp1252", "latin_1"]
_CANONICAL = {"gb2312": "gb18030", "gbk": "gb18030", "cp950": "big5", "big5hkscs": "big5", "ascii": "utf-8"}
# Big5 files are read through one decoder whatever Big5 flavour they were written in: plain Big5 first (cp950 maps
# full-width ／ and ＼ to look-alikes that search then misses), Big5-HKSCS, and cp950 only for the bytes that are
# Microsoft extensions (the euro sign, the ETEN box characters).
BIG5 = "cxdash-big5"
_BIG5_NAMES = {"big5", "big5-tw", "csbig5", "cp950", "ms950", "big5hkscs", "big5-hkscs", "hkscs"}
_FALLBACK = "cxdash-big5-fallback"


def _big5_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    pair = exc.object[exc.start : exc.start + 2]
    for codec in ("big5hkscs", "cp950"):
        try:
            return codecs.decode(pair, codec), exc.start + len(pair)
        except UnicodeDecodeError:
            continue
    raise exc


class _Big5Decoder(codecs.IncrementalDecoder):
    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._inner = codecs.getincrementaldecoder("big5")(_FALLBACK)

    def decode(self, data: bytes, final: bool = False) -> str:  # type: ignore[override]
        return self._inner.decode(data, final)

    def reset(self) -> None:
        self._inner.reset()

    def getstate(self) -> tuple[bytes, int]:
        return self._inner.getstate()  # type: ignore[no-any-return]

    def setstate(self, state: tuple[bytes, int]) -> None:
        self._inner.setstate(state)


def _big5_decode(data: Any, errors: str = "strict", /) -> tuple[str, int]:
    return _Big5Decoder().decode(bytes(data), final=True), len(data)


def _search(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != BIG5:
        return None
    big5 = codecs.lookup("big5")
    return codecs.CodecInfo(big5.encode, _big5_decode, name=BIG5, incrementalencoder=big5.incrementalencoder,
                            incrementaldecoder=_Big5Decoder)


codecs.register_error(_FALLBACK, _big5_fallback)
codecs.register(_search)


def text_codec(encoding: str) -> str:
    """The codec cxdash decodes ``encoding`` with (every Big5 name goes through the Big5 decoder above)."""
    return BIG5 if encoding.lower().replace("_", "-") in _BIG5_NAMES else encoding


def check_encoding(encoding: str) -> str:
    """An encoding chosen by hand, if Python knows it as a text encoding.

    Raises:
        UploadError: an unknown name, or a codec that is not a text encoding (rot13, base64, zip).
    """
    name = encoding.strip()
    try:
        info = codecs.lookup(text_codec(name))
    except LookupError as exc:
        raise UploadError("imports.error.unknown_encoding", encoding=encoding) from exc
    if not getattr(info, "_is_text_encoding", True):
        raise UploadError("imports.error.unknown_encoding", encoding=encoding)
    return name


def trailing_cut(stream: IO[bytes], size: int, encoding: str) -> int:
    """How many bytes at the end of a file are the start of a character the file was cut before finishing."""
    codec = text_codec(encoding)
    name = codecs.lookup(codec).name
    if name.startswith("utf-16"):
        return size % 2
    if name.startswith("utf-32"):
        return size % 4
    n = min(size, 4096)
    stream.seek(size - n)
    tail = stream.read(n)
    if n < size:
        # Start on a line: a newline byte never sits inside a character in the encodings that get here.
        newline = tail.find(b"\n")
        if newline < 0:
            return 0
        tail = tail[newline + 1 :]
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        decoder.decode(tail, final=False)
    except UnicodeDecodeError:
        return 0  # bad bytes inside: the reader reports them with their line
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return max(0, min(4, len(exc.object) - exc.start))
    return 0


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")


def mojibake_share(text: str, encoding: str = "cp1252") -> float:
    """Share of the non-ASCII characters that look like mis-decoded text: UTF-8 bytes read in ``encoding``
    ("Ã©", "ä¸­", "鍙戠敓") or C1 control characters (U+0080-U+009F), which real text never holds."""
    sample = text[:200_000]
    non_ascii = sum(1 for ch in sample if ord(ch) > 0x7F)
    if not non_ascii:
        return 0.0
    bad = sum(1 for ch in sample if 0x80 <= ord(ch) <= 0x9F)
    codec = text_codec(encoding)
    for run in _NON_ASCII_RUN.findall(sample):
        try:
            again = run.encode(codec).decode("utf-8")
        except (UnicodeError, LookupError):
            continue
        if again != run:
            bad += len(run)
    return bad / non_ascii


def _line_in(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when every other byte is NUL (UTF-16 text without a byte-order mark)."""
    sample = head[:2000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _has_utf8_text_line(head: bytes) -> bool:
    """True when some line holds real multi-byte UTF-8 text (so a failing line means mixed encodings)."""
    for line in head.split(b"\n")[:-1]:
        if sum(b >= 0x80 for b in line) >= 3:
            try:
                line.decode("utf-8")
                return True
            except UnicodeDecodeError:
                continue
    return False


def detect_encoding(head: bytes, complete: bool) -> str:
    """Guess the text encoding from the first bytes of a file (``complete`` when ``head`` is the whole file).

    Raises:
        UploadError: the bytes mix UTF-8 with another encoding, cut a character, or are not text at all.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = utf16_without_bom(head)
    if utf16:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and complete:
            return "utf-8"  # the file ends inside a character: read it, the reader reports the cut record
        if _has_utf8_text_line(head) or exc.reason == "unexpected end of data":
            raise UploadError("imports.error.bad_bytes", line=_line_in(head, exc.start), encoding="UTF-8") from exc
    chinese = _chinese_encoding(head, complete)
    if chinese:
        return chinese
    best = charset_normalizer.from_bytes(head, cp_isolation=CANDIDATES).best()
    if best is None:
        raise UploadError("imports.error.not_text")
    return _CANONICAL.get(best.encoding, best.encoding.replace("_", "-"))


def _common_share(text: str, encoding: str, lo: int, hi: int) -> float:
    """Share of the Chinese characters that are everyday ones in ``encoding``'s table (its first level).

    Right decodings of real text are nearly all everyday characters; a Big5 file read as GB18030 (or the other
    way round) turns into rare characters, kana and symbols.
    """
    chars = [c for c in text if ord(c) > 0x2E7F]
    if not chars:
        return 0.0
    common = 0
    for c in chars:
        try:
            code = int.from_bytes(c.encode(encoding), "big")
        except UnicodeEncodeError:
            continue
        common += lo <= code <= hi
    return common / len(chars)


def _chinese_encoding(head: bytes, complete: bool) -> str | None:
    """GB18030 or Big5 when the bytes read as everyday Chinese in one of them.

    Raises:
        UploadError: the text is Chinese in that encoding but some bytes are not (a cut or foreign character).
    """
    scores = {}
    for encoding, table, lo, hi in (("gb18030", "gb2312", 0xB0A1, 0xD7F9), ("cp950", "big5", 0xA440, 0xC67E)):
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
        scores[encoding] = _common_share(text, table, lo, hi)
    best = max(scores, key=lambda e: scores[e])
    if scores[best] < 0.5:
        return None
    name = "big5" if best == "cp950" else best
    try:  # not final: a character cut at the very end is reported by the reader as a truncated record
        codecs.getincrementaldecoder(text_codec(name))().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise UploadError("imports.error.bad_bytes", line=_line_in(head, exc.start), encoding=name) from exc
    return name


def decode_head(head: bytes, encoding: str, complete: bool) -> str:
    """Decode the first bytes of a file strictly.

    Raises:
        UploadError: undecodable bytes (with their line) or an unknown encoding name.
    """
    try:
        return codecs.getincrementaldecoder(text_codec(encoding))().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise UploadError("imports.error.bad_bytes", line=_line_in(head, exc.start), encoding=encoding) from exc
    except LookupError as exc:
        raise UploadError("imports.error.unknown_encoding", encoding=encoding) from exc


def control_share(text: str) -> float:
    """Share of control characters (other than tab and line breaks) in the start of a text."""
    sample = text[:20000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return bad / max(1, len(sample))


