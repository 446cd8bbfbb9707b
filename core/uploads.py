"""A user's own CSV file, read and checked before K-means sees it.

`parse_csv` turns the uploaded bytes into a frame (numeric columns float64, the others text) or refuses
them; core/upload_choice.py turns the columns the user then picks into the arrays a fit needs. Every refusal is an
UploadRefused whose text the page shows verbatim: it names the problem, quotes what was given (through
`describe`, short) and names the limit. Column names and cells are user data, only ever quoted, never trusted.

core/ imports no io (tests/unit/test_architecture.py), so pandas reads the decoded text through `_Text`.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from dataclasses import dataclass
from itertools import islice

import numpy as np
import pandas as pd

from core.settings import describe

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_CLASSES = 100
MIN_ROWS = 3  # KMeans needs k ≥ 2 clusters and fewer clusters than rows

DELIMITERS = (",", ";", "\t", "|")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run (OWASP CSV injection)
_SAMPLE_ROWS = 21  # the header and 20 data rows decide the delimiter and the decimal mark
_SNIFF_CHARS = 4096  # csv.Sniffer's regexes get slow on long samples
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # the line ends both csv and pandas know
_COMMA_NUMBER = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_DOT_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")  # pandas' ParserError texts
_UNCLOSED = re.compile(r"EOF inside string starting at row (\d+)")  # rows from 0, the header's included
_EMPTY = "The file is empty: it holds no header row and no data rows."
_RAGGED_TEXT = "Line {:,} has {} fields but the header has {}; a row may have at most as many fields as the header."


class UploadRefused(ValueError):
    """The file or the choice cannot be used; str(error) is the user-facing message."""


@dataclass(frozen=True, eq=False)
class ParsedCsv:
    """A checked upload: every data row, the columns named as the header names them (through one_line)."""

    frame: pd.DataFrame  # numeric columns float64 (NaN: empty or "nan"); the others text (NaN: empty or blank)
    delimiter: str  # "," ";" "\t" or "|"
    decimal: str  # "." or ","
    numeric: tuple[str, ...]  # columns whose every non-empty cell is a number (and at least one cell is not empty)
    label_candidates: tuple[str, ...]  # columns with 2..MAX_CLASSES distinct non-empty values
    notes: tuple[str, ...]  # what the user should know that is no refusal

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def n_columns(self) -> int:
        return self.frame.shape[1]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.frame.columns)


class _Text:
    """Text as a read-only file: all pandas needs to read it."""

    def __init__(self, text: str):
        self._text, self._at = text, 0

    def read(self, size: int | None = -1) -> str:
        end = len(self._text) if size is None or size < 0 else self._at + size
        chunk = self._text[self._at:end]
        self._at += len(chunk)
        return chunk

    def __iter__(self):
        return _lines(self._text[self._at:])


def _lines(text: str):
    """The text's lines, ends kept, split off lazily: only the few rows looked at ever are."""
    return (match.group() for match in _LINE.finditer(text))


def one_line(text: str) -> str:
    """Text with each run of whitespace and non-printable characters (line breaks, tabs, controls,
    bidi and zero-width marks: what repr escapes) as one space, stripped: names and class names
    reach the page's Markdown and the exports as one plain line."""
    if text.isprintable() and "  " not in text:  # the common case: only " " may need stripping
        return text.strip()
    return " ".join("".join(char if char.isprintable() else " " for char in text).split())


def spreadsheet_safe(text: str) -> str:
    """Text as a spreadsheet will show it, never run it: a cell starting with = + - @ tab or CR gets a leading
    apostrophe (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def too_big(n_bytes: int) -> str:
    """The message for a file past MAX_BYTES (the upload route says it before reading a byte)."""
    size = math.ceil(n_bytes / 2**20 * 10) / 10  # rounded up: 50 MB and 1 byte is not "50.0 MB"
    return f"The file is {size:.1f} MB; the limit is {MAX_BYTES // 2**20} MB."


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise UploadRefused(too_big(len(data)))
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    nul = data.find(b"\x00")  # text never holds one; binary files soon do
    if nul >= 0:
        raise UploadRefused(f"The file is not a UTF-8 text CSV: it holds binary data (a NUL byte at offset {nul:,}).")
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        at = skip + error.start
        raise UploadRefused(f"The file is not a UTF-8 text CSV: the byte at offset {at:,} (0x{data[at]:02X}) is not "
                            "UTF-8. Save it as “CSV UTF-8” and upload it again.") from None
    if not text or text.isspace():
        raise UploadRefused(_EMPTY)
    return text


def _rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of the first rows, blank lines skipped as pandas skips them."""
    reader = csv.reader(_lines(text), delimiter=delimiter)
    rows = (row for row in reader if len(row) > 1 or (row and row[0].strip()))
    try:
        return [(reader.line_num, row) for row in islice(rows, _SAMPLE_ROWS)]
    except csv.Error as error:  # a field over csv's 131,072 characters
        raise UploadRefused(f"The file could not be read as CSV: {describe(str(error))}.") from None


def _delimiter(text: str) -> str:
    """The delimiter that splits the header and the first data rows into one number (>1) of fields, csv.Sniffer
    choosing among several; else the one that splits the header most (ragged rows are refused later). A single
    column gets the first delimiter that splits none of the rows (";" for decimal commas), else ","."""
    counts = {}
    for delimiter in DELIMITERS:
        try:
            counts[delimiter] = [len(fields) for _, fields in _rows(text, delimiter)] or [0]
        except UploadRefused:
            counts[delimiter] = [0]
    consistent = [d for d in DELIMITERS if counts[d][0] > 1 and len(set(counts[d])) == 1]
    try:
        sample = "".join(islice(_lines(text), _SAMPLE_ROWS))[:_SNIFF_CHARS]
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in consistent:
        return sniffed
    best = max(consistent or DELIMITERS, key=lambda d: counts[d][0])  # ties: the first in DELIMITERS
    if counts[best][0] > 1:
        return best
    single = [d for d in DELIMITERS if set(counts[d]) == {1}]  # one column: "," unless it splits 1,5
    return single[0] if single else ","


def _decimal(data_rows: list[tuple[int, list[str]]], delimiter: str) -> str:
    """The decimal mark: "," when the delimiter is not "," and more sampled cells look like 1,5 than like 1.5."""
    if delimiter == ",":
        return "."
    cells = [cell.strip() for _, fields in data_rows for cell in fields]
    commas = sum(bool(_COMMA_NUMBER.fullmatch(cell)) for cell in cells)
    return "," if commas > sum(bool(_DOT_NUMBER.fullmatch(cell)) for cell in cells) else "."


def _names(header: list[str]) -> tuple[str, ...]:
    """The header's names as one_line makes them, checked here: pandas would rename blanks and duplicates
    silently. A refusal quotes a name as the file writes it, escaped ('a\\nb'), when that differs."""
    if len(header) > MAX_COLUMNS:
        raise UploadRefused(f"The file has {len(header):,} columns; the limit is {MAX_COLUMNS}.")
    names = tuple(one_line(name) for name in header)
    seen: dict[str, int] = {}
    for number, (name, given) in enumerate(zip(names, header), start=1):
        if not name:
            written = f" (it holds only spaces or control characters: {describe(given)})" if given else ""
            raise UploadRefused(f"Column {number} has no name in the header row{written}; every column needs a name.")
        if name in seen:
            first = header[seen[name] - 1]
            written = (f", written {describe(first.strip())} and {describe(given.strip())}"
                       if name != first.strip() or name != given.strip() else "")
            raise UploadRefused(f"The header names the column {describe(name)} twice (columns {seen[name]} and "
                                f"{number}{written}); every column needs a different name.")
        seen[name] = number
    return names


def _read(text: str, delimiter: str, decimal: str, names: tuple[str, ...], **options) -> pd.DataFrame:
    """At most MAX_ROWS + 1 data rows, so that a huge file is refused unread. `names` replace the header row;
    index_col=False: pandas never takes a column for the index (it would, were every row one field longer)."""
    try:
        return pd.read_csv(_Text(text), sep=delimiter, decimal=decimal, header=0, names=list(names), index_col=False,
                           nrows=MAX_ROWS + 1, keep_default_na=False, na_values=[""], low_memory=False, **options)
    except (ValueError, csv.Error, UnicodeError, OverflowError) as error:  # pandas' ParserError is a ValueError
        if ragged := _RAGGED.search(str(error)):
            raise UploadRefused(_RAGGED_TEXT.format(*map(int, ragged.group(2, 3, 1)))) from None
        if unclosed := _UNCLOSED.search(str(error)):
            raise UploadRefused(f"The quoted field that starts on line {int(unclosed[1]) + 1:,} is never closed: "
                                f"a \" opens it but no \" ends it.") from None
        raise UploadRefused(f"The file could not be read as CSV: {describe(str(error))}.") from None


def _tidy(column: pd.Series) -> pd.Series:
    """Text cells as one_line makes them (a label's cells name its classes), blank ones empty (NaN); done on the
    distinct values, which most columns repeat."""
    codes, uniques = pd.factorize(column)  # code -1: an empty cell, NaN again after reindex
    tidy = pd.Series([one_line(value) for value in uniques], dtype=column.dtype)
    return tidy.mask(tidy == "").reindex(codes).set_axis(column.index)


def to_float(cell: str, decimal: str) -> float | None:
    if "_" in cell or (decimal == "," and "." in cell):  # float() takes 1_000; with "," 1.5 is no number
        return None
    try:
        return float(cell.replace(",", ".") if decimal == "," else cell)
    except ValueError:
        return None


def _numbers(cells: pd.Series, decimal: str) -> pd.Series | None:
    """A tidied text column as float64, or None when a non-empty cell is no number. pandas leaves numbers mixed
    with "inf" or "nan" as text; the first 64 cells rule most real text out cheaply."""
    filled = cells.dropna()
    if filled.empty or any(to_float(cell, decimal) is None for cell in filled.iloc[:64]):
        return None
    if decimal == ",":
        if filled.str.contains(".", regex=False).any():
            return None
        filled = filled.str.replace(",", ".", regex=False)
    nan = filled.str.lower().isin(["nan", "+nan", "-nan"])  # to_numeric knows inf but not nan
    try:
        numbers = pd.to_numeric(filled[~nan], errors="raise").astype(np.float64)
    except (ValueError, TypeError, OverflowError):  # a cell of 400 digits overflows float64's conversion
        return None
    return numbers.reindex(cells.index)  # NaN for the empty and "nan" cells


def _classes(column: pd.Series) -> int:
    """The column's distinct non-empty values; past MAX_CLASSES among its first rows, that count (a
    column of measurements is never counted whole)."""
    head = column.iloc[:50 * MAX_CLASSES].nunique(dropna=True)
    return head if head > MAX_CLASSES else column.nunique(dropna=True)


def parse_csv(data: bytes) -> ParsedCsv:
    """The upload as a checked frame, or UploadRefused saying why it cannot be used."""
    text = _decode(bytes(data))
    delimiter = _delimiter(text)
    rows = _rows(text, delimiter)
    if not rows:  # only blank lines, or only empty quotes
        raise UploadRefused(_EMPTY)
    names = _names(rows[0][1])
    for line, fields in rows[1:]:  # pandas would silently cut a first data row that is too long
        if len(fields) > len(names):
            raise UploadRefused(_RAGGED_TEXT.format(line, len(fields), len(names)))
    decimal = _decimal(rows[1:], delimiter)
    frame = _read(text, delimiter, decimal, names)
    if len(frame) == 0:
        raise UploadRefused(f"The file has a header row but no data rows; K-means needs at least {MIN_ROWS}.")
    if len(frame) > MAX_ROWS:
        raise UploadRefused(f"The file has more than {MAX_ROWS:,} data rows; the limit is {MAX_ROWS:,}.")
    if len(frame) < MIN_ROWS:
        raise UploadRefused(f"The file has {len(frame)} data row{'s' * (len(frame) > 1)}; K-means needs at least "
                            f"{MIN_ROWS}.")
    # pandas reads True/False columns as bool, losing the cells' own text: those are read again, as text.
    odd = [name for name in names if frame[name].dtype.kind not in "iuf" and frame[name].dtype != "str"]
    if odd:
        frame[odd] = _read(text, delimiter, decimal, names, usecols=odd, dtype=str)[odd]
    numeric = []
    for name in names:
        column = frame[name]
        if column.dtype.kind not in "iuf":
            numbers = _numbers(cells := _tidy(column), decimal)
        elif column.notna().any():  # pandas' own numbers: NaN only where a cell is empty
            numbers = column.astype(np.float64)
        else:  # an all-empty column holds no number
            numbers, cells = None, column.astype("str")
        frame[name] = cells if numbers is None else numbers
        if numbers is not None:
            numeric.append(name)
    if not numeric:
        raise UploadRefused(f"The file has no column of numbers (read with {describe(delimiter)} between fields and "
                            f"{describe(decimal)} as the decimal mark); K-means needs at least one.")
    candidates = tuple(name for name in names if 2 <= _classes(frame[name]) <= MAX_CLASSES)
    risky = [name for name in names if name.startswith(FORMULA_STARTS) or "<" in name or ">" in name]
    notes = ()
    if risky:
        quoted = ", ".join(describe(name) for name in risky[:3]) + (", …" if len(risky) > 3 else "")
        notes = (f"{len(risky)} column name{'s' * (len(risky) > 1)} look{'s' * (len(risky) == 1)} like HTML or a "
                 f"spreadsheet formula ({quoted}): shown as plain text, and written with a leading apostrophe in "
                 f"exports.",)
    return ParsedCsv(frame, delimiter, decimal, tuple(numeric), candidates, notes)
