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
import re
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
            guess = PREFERRED
        else:
            guess = codecs.lookup(best.encoding).name
    else:
        guess = PREFERRED if _decodes(sample, PREFERRED) else "latin-1"
    return "cp1251" if _reads_as_russian(sample, guess) else guess


# Where charset-normalizer goes wrong on a line or two of Cyrillic text: it takes the Latin code pages (a Russian
# name read as Windows-1250 is still letters: "Čâŕí Ďĺňđîâ"), or on a word or two an East Asian one.
_LATIN_PAGES = frozenset({"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "mac-roman", "latin-1", "iso8859-1"})
_EAST_ASIAN_PAGES = frozenset({"gb18030", "big5", "cp932", "shift_jis", "euc_jp", "euc_kr", "cp949"})
_SHORT = 200  # non-ASCII bytes: fewer, and the detector's statistics are too thin to trust over the rule below
_WORD = re.compile(r"[^\W\d_]+")


def _reads_as_russian(sample: bytes, guess: str) -> bool:
    """Whether the sample is Cyrillic text in Windows-1251 that the detector took for a Latin or East Asian page.

    Judged by the character classes of the text Windows-1251 gives: every
    word with a non-ASCII letter is made of Cyrillic letters only, written
    as words are (иван, Иван or ИВАН). Latin-script text read that way mixes
    ASCII letters into its words (José gives Josй), text in other scripts
    mixes cases at random. For an East Asian guess, which a long sample
    makes reliable, only short samples with a word of four letters or more
    are looked at.
    """
    if guess in _LATIN_PAGES:
        longest_needed = 1
    elif guess in _EAST_ASIAN_PAGES and sum(byte >= 0x80 for byte in sample) < _SHORT:
        longest_needed = 4
    else:
        return False
    try:
        text = sample.decode("cp1251")
    except UnicodeDecodeError:
        return False
    words = [word for word in _WORD.findall(text) if not word.isascii()]
    if not words or max(map(len, words)) < longest_needed:
        return False
    return all(
        all("\u0400" <= letter <= "\u04ff" for letter in word)
        and (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower()))
        for word in words
    )


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
            "iso8859-1": "Latin-1", "latin-1": "Latin-1", "koi8-r": "KOI8-R", "koi8-u": "KOI8-U", "big5": "Big5",
            "euc_jp": "EUC-JP", "cp949": "Korean (cp949)", "cp874": "Thai (cp874)", "mac-roman": "Mac Roman"}.get(normal, normal)


# What a user may choose when the detector got a file wrong, in the order offered.
CHOICES = (
    "utf-8", "utf-16", "cp1252", "cp1250", "cp1251", "koi8_r", "koi8_u", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "cp1258", "cp874", "mac_roman", "gb18030", "big5", "cp932", "euc_jp", "cp949",
)


def encoding_choice(value: str | None) -> str | None:
    """The codec name of an encoding a user chose by name (utf-8, cp1251, Windows-1251...); None for none chosen.

    Raises ValueError, with a message for the user, for a name that is no text encoding.
    """
    if value is None or not value.strip() or value.strip().casefold() in ("auto", "detect"):
        return None
    name = value.strip()
    if name.casefold().startswith("windows-"):
        name = "cp" + name[len("windows-"):]
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or not info._is_text_encoding:
        from crmproject.i18n import _

        raise ValueError(_("%(name)s is not a text encoding; try utf-8, cp1251 or cp1252.", name=value.strip()))
    return info.name


def encoding_options() -> list[tuple[str, str]]:
    """(codec name, how people know it) for each encoding offered."""
    return [(name, describe(name)) for name in CHOICES]


def offered_encoding(value: str | None) -> str | None:
    """The encoding chosen in a form among those offered (CHOICES); None for "detect it" or anything else."""
    return value if value in CHOICES else None
