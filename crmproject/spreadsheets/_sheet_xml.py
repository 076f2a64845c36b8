"""What an .xlsx worksheet part and its shared strings make python-calamine build, read from their XML bytes.

python-calamine reads a worksheet with quick-xml, tag by tag: <row r="5">
sets the row and nothing else, </row> (and <row/>) moves to the next row and
back to column A, <c r="XFD5"> is placed at its r (the row stays where <row>
put it) and a <c> without r right after the cell before it. quick-xml ends a
tag at the first ">" outside quotes, so an attribute value may hold ">" or
"<", and comments, CDATA and processing instructions hide what they hold.
`measure_sheet` finds the rectangle that results (python-calamine stores it
densely), how many cell records the sheet has and how many of them may show
a shared string, without Python-level work per cell in the common case:

  - fast path: one pattern, built from the sheet's <dimension>, skips every
    cell tag that has one r attribute, first, inside the dimension (all of
    them, in a well-formed sheet) and stops at the others; a plain one
    beyond the dimension is read exactly; anything else sends the part
    through the exact path. Cell records are counted at memory speed.
  - exact path: every tag in order, found as quick-xml finds them (quoted
    values, comments, CDATA and processing instructions skipped by the
    pattern, at C speed), and every cell and row tag placed as
    python-calamine places it.

What quick-xml might read otherwise than this module (a tag with two r
attributes, "<" inside a cell or row tag, a DOCTYPE or other declaration in
the sheet, a tag longer than 64 KB) raises Malformed: no spreadsheet program
writes it, and the reader refuses the file as damaged.

`measure_shared_strings` counts the shared strings (python-calamine keeps
them all, and copies one into every cell that shows it) and how long the
longest is; `copied_text_bytes` adds up exactly what those copies come to,
for a sheet whose string cells are written the plain way.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .cells import Extent, column_index, column_letter
from .limits import ReadLimits

CHUNK = 1024 * 1024
MAX_TAG = 64 * 1024  # a tag, comment or CDATA section still open after this many bytes is refused
_CARRY = 96  # bytes of one chunk scanned again with the next, so a tag cut between them is seen whole
_SEAM = 512  # bytes of the next chunk scanned with the end of one


class Malformed(Exception):
    """XML that quick-xml may read otherwise than this module does; the file is refused as damaged."""


@dataclass
class SheetMeasure:
    """What python-calamine builds from a worksheet part: its rectangle, cell records, cells showing shared strings.

    `cells` is a lower bound and may stop counting once over the cell limit;
    `string_cells` is an upper bound.
    """

    extent: Extent
    cells: int = 0
    string_cells: int = 0


def _column_number(letters: bytes) -> int:
    return column_index(letters.decode("ascii").upper()) + 1 if letters else 0


def within(extent: Extent, limits: ReadLimits) -> bool:
    return (extent.rows <= limits.max_rows and extent.columns <= limits.max_columns
            and extent.rows * extent.columns <= limits.max_cells)


def _count_cells(text: bytes, start: int, end: int) -> int:
    """Cell tags written the plain way (<c r=..., <c>, <c/>) starting in text[start:end]; others go the exact way."""
    end += 2  # an occurrence starting before `end` is counted here, never with the next chunk
    return text.count(b"<c ", start, end) + text.count(b"<c>", start, end) + text.count(b"<c/", start, end)


def _count_string_cells(text: bytes, start: int, end: int) -> int:
    """Every cell that shows a shared string has t="s": its quoted value s is counted (other attributes too)."""
    end += 2
    return text.count(b'"s"', start, end) + text.count(b"'s'", start, end)


class _Unusual(Exception):
    """A cell whose position the fast path cannot read: the part goes through the exact path."""


def measure_sheet(open_chunks: Callable[[], Iterator[bytes]], limits: ReadLimits) -> SheetMeasure:
    """The rectangle, cell records and string cells of one worksheet part (a chunk iterator is opened per pass).

    Stops as soon as the sheet is over a limit; the caller refuses it then.
    Raises Malformed for XML quick-xml could read otherwise, and for more
    cells holding a value than the rectangle has cells (two at one position:
    python-calamine keeps every one until it builds the sheet).
    """
    try:
        measure, shape = _fast_measure(open_chunks(), limits)
    except _Unusual:
        rows = _rows_at_least(open_chunks(), limits)
        if rows > limits.max_rows:
            return SheetMeasure(Extent(rows, 1))  # refused without the exact path's tag-by-tag look
        return _exact_measure(open_chunks(), limits)
    matched = measure.extent
    if measure.cells > limits.max_cells or shape is None or not within(matched, limits):
        return measure  # refused on what was read, or an empty part
    extent = Extent(max(matched.rows, shape.row_bound), max(matched.columns, shape.column_bound))
    if within(extent, limits):
        if measure.cells > extent.rows * extent.columns:
            raise Malformed("more cells than the rectangle they are in")
        measure.extent = extent
        return measure
    return _exact_measure(open_chunks(), limits)


# --- fast path ------------------------------------------------------------------------------------

_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["'](?:[A-Za-z]+[0-9]+:)?([A-Za-z]+)([0-9]+)["']""")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s>/]")
# A cell tag with a namespace prefix (<x:c ...>): rare, and read the exact way.
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# The rest of a cell tag after its r attribute as spreadsheet programs write it: attributes of one to three
# lower-case letters, none of them r, values in double quotes. A tag written any other way (another r, other
# quotes or spacing) is never skipped, and its position is read the exact way.
_PLAIN_REST = rb'(?: (?:[a-qs-z][a-z]{0,2}|r[a-z]{1,2})="[^"]*")*/?>'
# The commonest rest, checked first when skipping a cell inside the bound: s="1" t="s".
_COMMON_REST = rb'(?: s="[0-9]++")?+(?: t="[a-zA-Z]++")?+/?>'


def _numbers_at_most(bound: int) -> bytes:
    """A pattern for the decimal numbers (leading zeros allowed) whose value is at most `bound` (1 or more)."""
    digits = str(bound)
    alternatives = [rb"[0-9]{1,%d}+" % (len(digits) - 1)] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        rest = len(digits) - index - 1
        if digit != "0":
            alternatives.append(digits[:index].encode() + b"[0-%d]" % (int(digit) - 1) + (rb"[0-9]{%d}" % rest if rest else b""))
    alternatives.append(digits.encode())
    return b"(?:" + b"|".join(alternatives) + b")"


def _letters_at_most(bound: int) -> bytes:
    """A pattern for the column letters (capitals) of the columns 1 to `bound`."""
    letters = column_letter(bound - 1).encode()
    alternatives = [rb"[A-Z]{1,%d}+" % (len(letters) - 1)] if len(letters) > 1 else []
    for index in range(len(letters)):
        rest = len(letters) - index - 1
        if letters[index] != ord("A"):
            alternatives.append(letters[:index] + b"[A-%c]" % (letters[index] - 1) + (rb"[A-Z]{%d}" % rest if rest else b""))
    alternatives.append(letters)
    return b"(?:" + b"|".join(alternatives) + b")"


@dataclass(frozen=True)
class _FastShape:
    """Which cell tags the fast path skips: those inside a rectangle, written plainly with their r first."""

    pattern: re.Pattern[bytes]
    row_bound: int  # the row of every skipped cell is at most this
    column_bound: int  # the column of every skipped cell is at most this

    @classmethod
    def bounded(cls, rows: int, columns: int) -> _FastShape:
        boring = _letters_at_most(columns) + _numbers_at_most(rows) if rows >= 1 and columns >= 1 else b"(?!)"
        # A tag is skipped when its only r attribute comes first, inside the rectangle; the pattern captures the
        # position of any other tag written plainly, and nothing for one written otherwise.
        pattern = re.compile(rb'<c(?! r="' + boring + rb'"' + _COMMON_REST + rb')(?= r="([A-Za-z]+)([0-9]+)"'
                             + _PLAIN_REST + rb")?[\s/>]")
        return cls(pattern, rows if rows >= 1 and columns >= 1 else 0, columns if rows >= 1 else 0)


_EVERY_CELL = _FastShape.bounded(0, 0)


def _declared_shape(head: bytes) -> _FastShape | None:
    """The rectangle of the sheet's <dimension>, None without one."""
    data_start = _SHEET_DATA.search(head)
    match = _DIMENSION.search(head, 0, data_start.start() if data_start else len(head))
    if match is None:
        return None
    rows, columns = int(match.group(2)), _column_number(match.group(1))
    return _FastShape.bounded(rows, columns) if rows <= 10 ** 9 and columns <= 26 ** 4 else _EVERY_CELL


def _positions(shape: _FastShape, text: bytes, start: int, stop: int) -> Extent | None:
    """The rectangle of the tags the shape does not skip in text[start:stop], read at C speed (None: none)."""
    found = shape.pattern.findall(text, start, stop)
    if not found:
        return None
    letters, digits = zip(*found, strict=True)
    columns = set(letters)
    if b"" in columns:
        raise _Unusual  # a tag with its position written some other way
    # only the distinct column letters are looked at one by one
    return Extent(max(map(int, digits)), max(map(_column_number, columns)))


def _regions(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """The part as (buffer, start, stop) regions, each ending where a tag starts, without copying whole chunks.

    A chunk is scanned in place up to its last "<"; what follows is scanned
    with the start of the next chunk (up to a "<" a little way into it), so
    a tag written plainly is never cut. One that is (a tag holding "<", or
    longer than the seam) is seen as unusual and read the exact way.
    """
    pending = b""
    for chunk in chunks:
        start = 0
        if pending:
            cut = chunk.find(b"<", min(len(chunk), _SEAM))
            cut = len(chunk) if cut == -1 else cut
            yield pending + chunk[:cut], 0, len(pending) + cut
            start, pending = cut, b""
        stop = chunk.rfind(b"<", start)
        if stop <= start:
            if start < len(chunk):
                yield chunk, start, len(chunk)
            continue
        yield chunk, start, stop
        pending = chunk[stop:]
    if pending:
        yield pending, 0, len(pending)


def _fast_measure(chunks: Iterator[bytes], limits: ReadLimits) -> tuple[SheetMeasure, _FastShape | None]:
    """Cell records counted, and the positions of the tags not skipped read, at C speed.

    Cells holding a value (what python-calamine stores) are counted by their
    end tags; every one of them may show a shared string. Without a
    <dimension>, the first cells found give the sheet's width, and the
    rectangle of that width the limits allow serves as one.
    """
    measure = SheetMeasure(Extent())
    shape: _FastShape | None = None
    first = True
    for text, start, stop in _regions(chunks):
        if first:
            shape, first = _declared_shape(text), False
        if text.find(b":c", start, stop) != -1 and _PREFIXED_CELL.search(text, start, stop) is not None:
            raise _Unusual
        measure.cells += text.count(b"</c>", start, stop)
        if measure.cells > limits.max_cells:
            return measure, shape  # more cell records than cells allowed: refused without reading them
        if shape is None:
            seen = _positions(_EVERY_CELL, text, start, stop)
            if seen is None:
                continue
            measure.extent.add(seen.rows, seen.columns)
            width = max(1, seen.columns)
            shape = _FastShape.bounded(min(limits.max_rows, limits.max_cells // width), width)
            continue
        found = _positions(shape, text, start, stop)
        if found is not None:
            measure.extent.add(found.rows, found.columns)
    measure.string_cells = measure.cells
    return measure, shape


_WHITESPACE = bytes.maketrans(b"\t\r\n\x0b\x0c", b"     ")


def _rows_at_least(chunks: Iterator[bytes], limits: ReadLimits) -> int:
    """A number of rows the sheet has at least, counted at memory speed; stops once it is over the limit.

    Where no tag has a position attribute, each row end moves to the next row,
    so counting them is exact; a chunk with a position in it (or one cut
    between two chunks) starts the count again from nothing, which keeps it
    a lower bound.
    """
    rows = most = 0
    tail = b""
    for chunk in chunks:
        text = (tail + chunk).translate(_WHITESPACE)
        if b" r=" in text or b" r " in text:
            rows = 0
        else:
            rows += chunk.count(b"</row>")  # other spellings of the end tag go uncounted: still a lower bound
        tail = chunk[-3:]
        most = max(most, rows)
        if most > limits.max_rows:
            break
    return most


# --- exact path -----------------------------------------------------------------------------------

PREFIX = rb"(?:[^\s/>:]+:)?"
ATTRIBUTES = rb"""(?:[^>"']|"[^"]*"|'[^']*')*+"""


def tag_patterns(starts: bytes, ends: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Patterns that skip everything but the tags named, as quick-xml reads it, and find the next of those.

    `starts` names the start (and empty) tags wanted, `ends` the end tags,
    as alternatives (b"c|row"). The first pattern skips; the second skips,
    then matches a wanted tag: groups (closing "/", prefix, name, attributes)
    or, in group 5, a declaration (<!DOCTYPE ...), which no sheet holds.
    Comments, CDATA and processing instructions are skipped whole, so a tag
    they hold is not one; a quoted attribute value may hold ">" and "<".
    """
    skip = (
        rb"(?:[^<]++|</?(?:v|f|t|is)>|</c>|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>"
        rb"|<(?!" + PREFIX + rb"(?:" + starts + rb")[\s/>]|/" + PREFIX + rb"(?:" + ends + rb")[\s/>]|!|\?)"
        + ATTRIBUTES + rb">)*+"
    )
    tag = (rb"(?:<(/?)(" + PREFIX + rb")(" + starts + b"|" + ends + rb")(?=[\s/>])(" + ATTRIBUTES + rb")>"
           rb"|(<!(?!-|\[|\Z)))")
    return re.compile(skip, re.DOTALL), re.compile(skip + tag, re.DOTALL)


# Everything but cell and row tags is skipped; then a cell or row tag (start, end or empty), or a declaration.
_SKIPPED, _TAG = tag_patterns(b"c|row", b"row")
_ATTRIBUTE = re.compile(rb"""\s*([^\s=/>"'<]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(rb"([A-Za-z]+)([0-9]+)")
_ODD_PREFIX = re.compile(rb"[<\"'=!?]")


_PLAIN_ATTRIBUTES = re.compile(rb' r="([^"<]*)"' + _PLAIN_REST[:-1])
_PLAIN_POSITION = re.compile(rb' r="([A-Za-z]+)([0-9]+)"' + _PLAIN_REST[:-1])


def _r_attribute(attributes: bytes) -> bytes | None:
    """The value of the tag's r attribute, None without one; Malformed for two, or attributes not plainly written."""
    if b"r" not in attributes:
        return None
    plain = _PLAIN_ATTRIBUTES.fullmatch(attributes)
    if plain is not None:
        return plain.group(1)
    found = None
    position = 0
    while (match := _ATTRIBUTE.match(attributes, position)) is not None:
        if match.group(1) == b"r":
            if found is not None:
                raise Malformed("two r attributes")
            found = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    if attributes[position:].strip() not in (b"", b"/"):
        raise Malformed("attributes quick-xml may read another way")
    return found


# Complexity 19 and 66 lines: one scan of a sheet's XML at memory speed, a loop over its tags with a branch for
# each kind, kept in one function so the hot loop makes no calls.
def _exact_measure(chunks: Iterator[bytes], limits: ReadLimits) -> SheetMeasure:  # noqa: C901
    """Every cell and row tag in order, placed as python-calamine places them. Stops once over a limit."""
    measure = SheetMeasure(Extent())
    extent = measure.extent
    columns: dict[bytes, int] = {}  # column numbers of the letters met
    row, column = 1, 1  # 1-based: the row python-calamine is in, the column of the next cell without r
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        last = text.rfind(b"<")
        translated = text[: last if last > 0 else len(text)].translate(_WHITESPACE)
        if measure.cells + _count_cells(translated, 0, len(translated)) > limits.max_cells:
            measure.cells += _count_cells(translated, 0, len(translated))
            return measure  # refused before reading so many cells one by one
        position = 0
        while (match := _TAG.match(text, position)) is not None:
            position = match.end()
            closing, prefix, name, attributes, declaration = match.groups()
            if declaration is not None:
                raise Malformed("a declaration inside the sheet")
            if b"<" in attributes or (prefix and _ODD_PREFIX.search(prefix)):
                raise Malformed("'<' inside a cell or row tag")
            if name == b"row":
                if closing:
                    if attributes.strip():
                        raise Malformed("an end tag with attributes")
                    row, column = row + 1, 1
                    continue
                value = _r_attribute(attributes)
                if value is not None and value.isdigit():
                    row = int(value)  # python-calamine refuses any other value
                if attributes.endswith(b"/"):  # <row/> is a start and an end
                    row, column = row + 1, 1
                continue
            if closing:
                continue
            measure.cells += 1
            if b'"s"' in attributes or b"'s'" in attributes:
                measure.string_cells += 1
            plain = _PLAIN_POSITION.fullmatch(attributes)
            if plain is not None:  # most tags: r first, written plainly
                letters, digits = plain.groups()
                cell_column = columns.get(letters) or columns.setdefault(letters, _column_number(letters))
                extent.add(int(digits), cell_column)
                column = cell_column + 1
                continue
            value = _r_attribute(attributes)
            if value is not None:
                ref = _REF.fullmatch(value)
                if ref is not None:  # python-calamine refuses any other value
                    cell_column = _column_number(ref.group(1))
                    extent.add(int(ref.group(2)), cell_column)
                    column = cell_column + 1
                continue
            extent.add(row, column)
            column += 1
        skipped = _SKIPPED.match(text, position)
        assert skipped is not None  # the pattern matches the empty text too
        carry = text[skipped.end():]
        if len(carry) > MAX_TAG:
            raise Malformed("a tag, comment or CDATA section longer than 64 KB")
        if measure.cells > limits.max_cells or not within(extent, limits):
            return measure
    if carry.strip():
        raise Malformed("the part ends inside a tag")
    return measure


# --- shared strings -------------------------------------------------------------------------------

_SST_TAG = re.compile(rb"<(?:[^\s/>:]+:)?sst(?=[\s/>])(" + ATTRIBUTES + rb")>")
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["']\+?([0-9]+)["']""")


@dataclass
class SharedStrings:
    """The shared strings of a workbook, as python-calamine keeps them.

    `count` is at least the number of strings (python-calamine keeps a
    string for each <si>), `declared` the number the part announces (it
    reserves room for that many at once), `longest` at least the bytes of
    the longest one. `lengths` gives each string's bytes, in order, when
    every <si> is written plainly (else None).
    """

    count: int = 0
    declared: int = 0
    longest: int = 0
    lengths: array | None = None


def measure_shared_strings(chunks: Iterator[bytes], limits: ReadLimits) -> SharedStrings:
    """Count and measure the strings of a sharedStrings part at memory speed; stops once more than max_cells."""
    found = SharedStrings(lengths=array("I"))
    lengths = found.lengths
    current = -1  # bytes of the string being read, -1 before the first
    tail = b""
    first = True
    for chunk in chunks:
        text = tail + chunk
        if first:
            first = False
            root = _SST_TAG.search(text)
            if root is not None:
                found.declared = max((int(value) for value in _UNIQUE_COUNT.findall(root.group(1))), default=0)
                if found.declared > limits.max_cells:
                    return found
        if b":si" in text:
            lengths = found.lengths = None  # prefixed strings: counted below from their end tags
            found.count += text.count(b":si>") + text.count(b":si ")
        # Keep what may be the start of a "<si" cut by the chunk's end for the next one.
        cut = len(text) - (2 if text.endswith(b"<s") else 1 if text.endswith(b"<") else 0)
        text, tail = text[:cut], text[cut:]
        pieces = text.split(b"<si")
        if current >= 0:
            current += len(pieces[0])
        if len(pieces) > 1:
            if current >= 0:
                found.longest = max(found.longest, current)
                if lengths is not None:
                    lengths.append(current)
            found.count += len(pieces) - 1
            middle = pieces[1:-1]
            if middle:
                found.longest = max(found.longest, max(map(len, middle)))
                if lengths is not None:
                    lengths.extend(map(len, middle))
            current = len(pieces[-1])
        if found.count > limits.max_cells:
            return found
    if current >= 0:
        found.longest = max(found.longest, current)
        if lengths is not None:
            lengths.append(current)
    return found


# A string cell written as spreadsheet programs write it: <c r="B2" s="1" t="s"><v>12</v></c>.
_STRING_CELL = re.compile(rb'<c r="[A-Za-z]+[0-9]+"(?: s="[0-9]+")? t="s"(?: (?:cm|vm|ph)="[0-9A-Za-z]*")*><v>([0-9]+)</v></c>')


def copied_text_bytes(chunks: Iterator[bytes], lengths: array) -> int | None:
    """Bytes of shared text python-calamine copies into the cells of one sheet, counted cell by cell.

    None when some cell that may show a shared string is not written the
    plain way (or points past the strings): then only the bound
    string_cells x longest holds.
    """
    total = plain = string_cells = 0
    carry = b""
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)
        text = carry + chunk
        stop = len(text)
        if following is not None:  # up to the last cell tag well before the end: the rest is read with the next chunk
            stop = text.rfind(b"<c ", 0, max(0, len(text) - _CARRY))
            stop = stop if stop > 0 else max(0, len(text) - _CARRY)  # no cell tag in it: none is cut there
        indexes = _STRING_CELL.findall(text, 0, stop)
        plain += len(indexes)
        string_cells += _count_string_cells(text, 0, stop - 2)
        try:
            total += sum(map(lengths.__getitem__, map(int, indexes)))
        except IndexError:
            return None
        carry = text[stop:]
        chunk = following
    return total if plain == string_cells else None
