"""Which text encoding a file is in: BOMs, UTF-16 without BOM, UTF-8, everyday Chinese (GB18030 or Big5), else
the Western code pages, with a clear refusal when bytes mix encodings or a character is cut.

Chinese is decided by how many of the decoded characters are everyday ones in each encoding's own first-level
table: real text decodes to nearly all everyday characters in its true encoding and to rare characters, kana and
symbols in the other, which short files fool statistical detectors with.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from cxdash.imports.errors import UploadError

# Western encodings charset-normalizer picks among when the text is not Chinese (Chinese is decided below).
CANDIDATES = ["cp1252", "latin_1"]
_CANONICAL = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950", "big5hkscs": "cp950", "ascii": "utf-8"}


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
    """GB18030 or Big5 (cp950) when the bytes read as everyday Chinese in one of them.

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
    try:
        codecs.getincrementaldecoder(best)().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise UploadError("imports.error.bad_bytes", line=_line_in(head, exc.start), encoding=best) from exc
    return best


def decode_head(head: bytes, encoding: str, complete: bool) -> str:
    """Decode the first bytes of a file strictly.

    Raises:
        UploadError: undecodable bytes (with their line) or an unknown encoding name.
    """
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise UploadError("imports.error.bad_bytes", line=_line_in(head, exc.start), encoding=encoding) from exc
    except LookupError as exc:
        raise UploadError("imports.error.unknown_encoding", encoding=encoding) from exc


def control_share(text: str) -> float:
    """Share of control characters (other than tab and line breaks) in the start of a text."""
    sample = text[:20000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return bad / max(1, len(sample))


