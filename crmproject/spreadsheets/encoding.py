"""Which text encoding a CSV file is in: one detector for every importer.

    encoding = detect_encoding(data)          # the whole file, or a sample of a large one

In order: a byte order mark decides; then UTF-16 without one (NUL bytes on
one side of each pair, as no 8-bit text has); then strict UTF-8; then
charset-normalizer, asked only about the code pages spreadsheets are saved
in (Windows code pages, KOI8, Mac Roman, the East Asian ones), from the part
of the file around its first non-ASCII byte. Among candidates it rates
equally, Windows-1252 wins: on short Western European text charset-normalizer
cannot tell it from Windows-1250 or -1257, and it is by far the commonest.
Only that part of the file (at most SAMPLE_BYTES) is looked at, whether the
file is read whole or streamed.
When nothing fits, Windows-1252 if it decodes, else Latin-1 (which always
does). A file detected from a sample may still fail to decode further on:
callers report that with its row rather than guess again.
"""

from __future__ import annotations

import codecs
from typing import IO

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The code pages spreadsheets and CSV exports are written in (Excel saves CSV in the system's ANSI code page).
CODE_PAGES = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874",
    "koi8_r", "koi8_u", "mac_roman", "gb18030", "big5", "cp932", "shift_jis", "euc_jp", "euc_kr", "cp949",
]
PREFERRED = "cp1252"
SAMPLE_BYTES = 256 * 1024
_UTF16_PROBE = 4096


def detect_encoding(data: bytes) -> str:
    """The Python codec name of `data`'s encoding (the whole file, or its first part for a large file).

    `data` may end in the middle of a character; only its first
    SAMPLE_BYTES after the first non-ASCII byte are given to the detector.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    utf16 = utf16_without_bom(data)
    if utf16:
        return utf16
    first = _first_non_ascii(data)
    if first is None:
        return "utf-8"
    # The same sample decides for a file read whole and for one streamed: a file that turns out not to be
    # valid in the encoding further on is reported with its line, never guessed again.
    sample = _sample_around(data, first)
    if _decodes(sample, "utf-8"):
        return "utf-8"
    return _guess_code_page(sample)


def detect_stream_encoding(binary: IO[bytes]) -> str:
    """The encoding of a file read from `binary`, from a bounded sample: what a streaming reader decodes it with.

    Reads blocks until the first one holding a non-ASCII byte (an ASCII file
    is UTF-8) and detects from there. A file that stops being valid in the
    encoding further on raises UnicodeDecodeError when it is decoded; the
    reader names the row then.
    """
    head = binary.read(SAMPLE_BYTES)
    if any(head.startswith(bom) for bom, _encoding in BOMS) or utf16_without_bom(head):
        return detect_encoding(head)
    previous, block = b"", head
    while block.isascii():
        previous, block = block, binary.read(SAMPLE_BYTES)
        if not block:
            return "utf-8"
    # from the start of the line the first non-ASCII byte is on, which may begin in the block before
    line_start = previous[previous.rfind(b"\n") + 1:] if previous else b""
    return detect_encoding(line_start + block + binary.read(SAMPLE_BYTES // 2))


def utf16_without_bom(data: bytes) -> str | None:
    """utf-16-le/-be when NUL bytes sit at odd (or even) positions only, as in UTF-16 text with ASCII in it.

    ASCII characters (digits, delimiters, line breaks) give one NUL byte per
    pair in UTF-16; 8-bit text has no NUL at all. A fifth of the pairs is
    enough, so Chinese or Russian text with its delimiters is recognised too.
    """
    sample = data[:_UTF16_PROBE]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    half = len(sample) // 2
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    for nuls, others, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls >= 0.2 * half and others * 8 <= nuls:
            try:
                codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            except UnicodeDecodeError:
                return None
            return encoding
    return None


def _first_non_ascii(data: bytes) -> int | None:
    if data.isascii():
        return None
    # isascii runs at memory speed; narrow down in halves rather than scanning byte by byte in Python.
    low, high = 0, len(data)
    while high - low > 64:
        middle = (low + high) // 2
        if data[low:middle].isascii():
            low = middle
        else:
            high = middle
    return next(index for index in range(low, high) if data[index] >= 0x80)


def _sample_around(data: bytes, first: int) -> bytes:
    """Whole lines from the one holding the first non-ASCII byte, at most SAMPLE_BYTES of them."""
    start = data.rfind(b"\n", 0, first) + 1
    end = start + SAMPLE_BYTES
    if end < len(data):
        # 0x0A is never part of a multi-byte character in these code pages, so a line break is a safe cut.
        end = data.rfind(b"\n", start, end) + 1 or end
    return data[start:end]


def _guess_code_page(sample: bytes) -> str:
    from charset_normalizer import from_bytes  # imported here: 6 MB a worker that reads only UTF-8 never needs

    matches = from_bytes(sample, cp_isolation=CODE_PAGES, steps=10, chunk_size=1024)
    best = matches.best()
    if best is not None:
        tied = [m for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01]
        if any(PREFERRED in m.could_be_from_charset for m in tied) and _decodes(sample, PREFERRED):
            return PREFERRED
        return best.encoding
    return PREFERRED if _decodes(sample, PREFERRED) else "latin-1"


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def describe(encoding: str) -> str:
    """An encoding as people know it, for messages: cp1251 -> Windows-1251."""
    normal = codecs.lookup(encoding).name
    if normal.startswith("cp125"):
        return "Windows-" + normal[2:]
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16",
            "utf-32": "UTF-32", "gb18030": "GB18030", "cp932": "Shift-JIS", "shift_jis": "Shift-JIS",
            "iso8859-1": "Latin-1", "latin-1": "Latin-1"}.get(normal, normal)
