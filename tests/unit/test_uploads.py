"""core.uploads: an uploaded CSV read and checked (names and text cells made one plain line), or refused with a message
naming the problem and the limit. The choice of its columns: test_upload_choice.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from core.upload_choice import Choice, choose
from core.uploads import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MIN_ROWS,
    UploadRefused,
    parse_csv,
    spreadsheet_safe,
)

SPECIES = np.array(["setosa", "versicolor", "virginica"])  # sorted, so the class codes are make_blobs' own


def blobs(n_samples=150, n_features=3, seed=0):
    features, target = make_blobs(n_samples=n_samples, n_features=n_features, centers=3, random_state=seed)
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(n_features)])
    return frame, features, target


def refused(data: bytes) -> str:
    with pytest.raises(UploadRefused) as caught:
        parse_csv(data)
    return str(caught.value)


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# --- files that are read -------------------------------------------------------------------------------------------

def test_a_comma_csv_with_a_text_label_gives_back_the_generated_features_and_classes():
    frame, features, target = blobs()
    frame["species"] = SPECIES[target]
    parsed = parse_csv(frame.to_csv(index=False).encode())

    assert (parsed.delimiter, parsed.decimal) == (",", ".")
    assert parsed.columns == ("f0", "f1", "f2", "species")
    assert (parsed.n_rows, parsed.n_columns) == (150, 4)
    assert parsed.numeric == ("f0", "f1", "f2")
    assert parsed.label_candidates == ("species",)  # 150 distinct numbers are no classes
    assert parsed.notes == ()
    assert all(parsed.frame[name].dtype == np.float64 for name in parsed.numeric)

    choice = choose(parsed, ["f0", "f1", "f2"], "species")
    assert isinstance(choice, Choice)
    np.testing.assert_array_equal(choice.features, features)
    np.testing.assert_array_equal(choice.target, target)
    assert choice.features.dtype == np.float64 and choice.target.dtype.kind == "i"
    assert choice.class_names == tuple(SPECIES)
    assert (choice.feature_names, choice.label_name, choice.standardize) == (("f0", "f1", "f2"), "species", True)
    assert (choice.dropped, choice.notes) == (0, ())


def test_semicolons_and_decimal_commas():
    frame, features, target = blobs(n_samples=120, n_features=2, seed=1)
    frame["group"] = target + 1  # a numeric label column
    data = frame.to_csv(index=False, sep=";", decimal=",").encode()
    assert b"," in data.splitlines()[1]  # the file really writes 1,5
    parsed = parse_csv(data)

    assert (parsed.delimiter, parsed.decimal) == (";", ",")
    assert parsed.numeric == ("f0", "f1", "group")
    assert parsed.label_candidates == ("group",)
    choice = choose(parsed, ["f0", "f1"], "group")
    np.testing.assert_array_equal(choice.features, features)
    np.testing.assert_array_equal(choice.target, target)
    assert choice.class_names == ("1", "2", "3")  # 1.0 shows as "1"


def test_a_literal_decimal_comma_file():
    parsed = parse_csv(csv_bytes("a;b\n1,5;2,25\n3;4,5\n-0,5;1e3\n"))
    assert (parsed.delimiter, parsed.decimal) == (";", ",")
    np.testing.assert_array_equal(parsed.frame["a"], [1.5, 3.0, -0.5])
    np.testing.assert_array_equal(parsed.frame["b"], [2.25, 4.5, 1000.0])


def test_tab_separated_with_a_bom_and_crlf_line_ends():
    frame, features, target = blobs(n_samples=40, n_features=2, seed=2)
    frame["kind"] = SPECIES[target]
    data = b"\xef\xbb\xbf" + frame.to_csv(index=False, sep="\t", lineterminator="\r\n").encode()
    parsed = parse_csv(data)
    assert (parsed.delimiter, parsed.decimal) == ("\t", ".")
    assert parsed.columns == ("f0", "f1", "kind")  # the BOM is not part of the first name
    choice = choose(parsed, ["f0", "f1"], "kind")
    np.testing.assert_array_equal(choice.features, features)
    np.testing.assert_array_equal(choice.target, target)


def test_pipes_and_a_single_column():
    assert parse_csv(csv_bytes("a|b\n1|2\n3|4\n5|6\n")).delimiter == "|"
    single = parse_csv(csv_bytes("height\n1.5\n2\n3\n"))
    assert (single.delimiter, single.columns, single.numeric) == (",", ("height",), ("height",))
    commas = parse_csv(csv_bytes("height\n1,5\n2\n3,25\n"))  # "," would split 1,5 in two
    assert (commas.delimiter, commas.decimal, commas.columns) == (";", ",", ("height",))
    np.testing.assert_array_equal(commas.frame["height"], [1.5, 2.0, 3.25])


def test_a_file_without_labels():
    frame, features, _ = blobs(n_samples=120, n_features=4, seed=3)
    parsed = parse_csv(frame.to_csv(index=False).encode())
    assert parsed.numeric == ("f0", "f1", "f2", "f3")
    assert parsed.label_candidates == ()  # 120 distinct numbers in each column: no classes
    for label in (None, ""):
        choice = choose(parsed, list(parsed.numeric), label)
        np.testing.assert_array_equal(choice.features, features)
        assert (choice.target, choice.class_names, choice.label_name) == (None, (), None)


def test_numbers_inf_and_nan_cells_and_what_is_not_a_number():
    parsed = parse_csv(csv_bytes("a,b,c,d,e\n"
                                 "1,inf,True,,x\n"
                                 "2,-inf,false,, 7\n"
                                 "3,nan,True,,\n"
                                 "4,NaN,,,  \n"))
    assert parsed.numeric == ("a", "b")  # c is True/False, d is all empty, e holds text
    np.testing.assert_array_equal(parsed.frame["b"], [np.inf, -np.inf, np.nan, np.nan])
    assert parsed.frame["c"].tolist()[:3] == ["True", "false", "True"]  # the cells' own text, not bools
    assert parsed.frame["d"].isna().all() and parsed.frame["d"].dtype != np.float64
    assert parsed.frame["e"].tolist()[:2] == ["x", "7"] and parsed.frame["e"].isna().tolist() == [False, False,
                                                                                                   True, True]
    assert parsed.label_candidates == ("a", "b", "c", "e")  # 4 distinct values each; d has none


def test_html_and_formula_names_are_kept_verbatim_with_a_note():
    names = ["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "+1", "@sum", "-b", "plain"]
    header = ",".join(f'"{name}"' if '"' not in name else '"' + name.replace('"', '""') + '"' for name in names)
    parsed = parse_csv(csv_bytes(header + "\n" + "\n".join(",".join(str(i + j) for j in range(6)) for i in range(4))))
    assert parsed.columns == tuple(names)
    assert parsed.numeric == tuple(names)
    (note,) = parsed.notes
    assert "5 column names" in note and "plain text" in note and "apostrophe" in note
    assert "'<script>alert(1)</script>'" in note
    choice = choose(parsed, [names[0], names[1]], None)
    assert choice.feature_names == (names[0], names[1])


def test_names_are_stripped():
    parsed = parse_csv(csv_bytes(" a , b\n1,2\n3,4\n5,6\n"))
    assert parsed.columns == ("a", "b") and parsed.notes == ()


def test_line_breaks_tabs_and_control_characters_in_names_become_one_space():
    # A quoted name may hold line breaks; the page's Markdown and the exports would break lines or hide marks.
    header = '"sepal\r\nlength","petal\t\twidth","\u200bnote\u202e",kind'
    parsed = parse_csv(csv_bytes(header + "\n1,2,3,a\n4,5,6,b\n7,8,9,a\n"))
    assert parsed.columns == ("sepal length", "petal width", "note", "kind")
    assert choose(parsed, ["sepal length", "petal width"]).feature_names == ("sepal length", "petal width")


def test_line_breaks_tabs_and_control_characters_in_labels_become_one_space():
    rows = ['1,2,"north\n"', "3,4,north", '5,6,"south\t\tpole"', "7,8,south  pole", "9,9,\u200beast"]
    choice = choose(parse_csv(csv_bytes("\n".join(["x,y,kind", *rows]) + "\n")), ["x", "y"], "kind")
    assert choice.class_names == ("east", "north", "south pole")  # "north\n" and "north" are one class
    np.testing.assert_array_equal(choice.target, [1, 1, 2, 2, 0])


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), ("", ""), ("a=b", "a=b"), ("<b>", "<b>"), (" =x", " =x"),
])
def test_spreadsheet_safe(text, safe):
    assert spreadsheet_safe(text) == safe


# --- files that are refused ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n\t\n", b"   \n\n",
                                  "\u00a0\u2028\n".encode(), b'""\n\n'])
def test_an_empty_file_is_refused(data):
    assert "empty" in refused(data)


def test_a_file_over_the_size_limit_is_refused():
    message = refused(b"a\n" + b"1" * MAX_BYTES)
    assert "50.1 MB" in message and "limit is 50 MB" in message


def test_binary_files_are_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    message = refused(png)
    assert "not a UTF-8 text CSV" in message and "NUL byte at offset 8" in message
    assert "NUL byte at offset 4" in refused(b"a,b\n\x00,1\n")


def test_bytes_that_are_not_utf8_are_refused_with_their_offset():
    message = refused("name,size\ncafé,1\n".encode("latin-1"))
    assert "not a UTF-8 text CSV" in message and "offset 13" in message and "0xE9" in message
    assert "offset 3 " in refused(b"\xef\xbb\xbf\xff,b\n1,2\n")  # the offset counts the BOM's bytes


def test_a_header_without_data_rows_is_refused():
    message = refused(b"a,b,c\n")
    assert "no data rows" in message and f"at least {MIN_ROWS}" in message
    assert "no data rows" in refused(b"a,b,c\n\n\n")


def test_two_rows_are_too_few():
    message = refused(b"a,b\n1,2\n3,4\n")
    assert "2 data rows" in message and f"at least {MIN_ROWS}" in message


def test_more_than_the_row_limit_is_refused():
    message = refused(b"a,b\n" + b"1,2\n" * (MAX_ROWS + 1))
    assert "more than 100,000" in message and "rows" in message and "limit is 100,000" in message
    assert parse_csv(b"a,b\n" + b"1,2\n" * MAX_ROWS).n_rows == MAX_ROWS  # the limit itself is allowed


def test_more_than_the_column_limit_is_refused():
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    message = refused(csv_bytes(header + "\n" + ",".join("1" * (MAX_COLUMNS + 1)) + "\n"))
    assert "201 columns" in message and f"limit is {MAX_COLUMNS}" in message
    assert parse_csv(csv_bytes("\n".join([",".join(f"c{i}" for i in range(MAX_COLUMNS))] +
                                         [",".join("1" * MAX_COLUMNS)] * 3))).n_columns == MAX_COLUMNS


def test_a_file_without_a_column_of_numbers_is_refused():
    message = refused(b"name,colour\nann,red\nbob,blue\ncy,green\n")
    assert "no column of numbers" in message and "at least one" in message
    assert "no column of numbers" in refused(b"a;b\n1.5;x\n2,5;y\n3;z\n")  # 1.5 is no number with decimal commas


def test_a_blank_header_name_is_refused_with_its_position():
    message = refused(b"a,,c\n1,2,3\n4,5,6\n7,8,9\n")
    assert "Column 2 has no name" in message
    assert "Column 3 has no name" in refused(b"a,b,  \n1,2,3\n4,5,6\n7,8,9\n")


def test_a_duplicate_header_name_is_refused_quoting_it():
    message = refused(b"x,y, x\n1,2,3\n4,5,6\n7,8,9\n")
    assert "'x' twice" in message and "columns 1 and 3" in message


def test_a_name_left_blank_or_repeated_by_its_control_characters_is_refused_quoting_it_as_written():
    message = refused(csv_bytes('x,"a\nb",a b\n1,2,3\n4,5,6\n7,8,9\n'))
    assert "'a b' twice" in message and "columns 2 and 3" in message and r"'a\nb'" in message, message
    message = refused(csv_bytes("x,\x01\u200b,y\n1,2,3\n4,5,6\n7,8,9\n"))
    assert "Column 2 has no name" in message and r"'\x01\u200b'" in message, message


@pytest.mark.parametrize(("data", "line"), [
    (b"a,b\n1,2\n3,4,5\n6,7\n8,9\n", 3),  # the first rows: read by the csv module
    (b"a,b\n1,2,9\n3,4\n6,7\n", 2),  # pandas would silently cut this one
    (b"a,b\n" + b"1,2\n" * 40 + b"3,4,5\n", 42),  # later rows: pandas' own error
])
def test_a_row_longer_than_the_header_is_refused_with_its_line(data, line):
    message = refused(data)
    assert f"Line {line} has 3 fields but the header has 2" in message


def test_an_unclosed_quote_is_refused():
    message = refused(b'a,b\n1,2\n3,4\n5,"6\n7,8\n')
    assert "never closed" in message and "line 4" in message
