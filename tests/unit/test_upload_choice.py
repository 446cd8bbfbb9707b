"""core.upload_choice: the user's choice of an upload's columns turned into the arrays a fit needs (rows dropped and
counted, classes named and sorted), or refused with a message naming the problem and the limit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from core.upload_choice import choose
from core.uploads import MAX_CLASSES, MAX_COLUMNS, MIN_ROWS, ParsedCsv, UploadRefused, parse_csv

SPECIES = np.array(["setosa", "versicolor", "virginica"])  # sorted, so the class codes are make_blobs' own


def blobs(n_samples=150, n_features=3, seed=0):
    features, target = make_blobs(n_samples=n_samples, n_features=n_features, centers=3, random_state=seed)
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(n_features)])
    return frame, features, target


def refused_choice(parsed: ParsedCsv, *args, **kwargs) -> str:
    with pytest.raises(UploadRefused) as caught:
        choose(parsed, *args, **kwargs)
    return str(caught.value)


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# --- choices that are made --------------------------------------------------------------------------------------------

def test_the_chosen_arrays_are_read_only():
    frame, _, target = blobs(n_samples=30)
    frame["species"] = SPECIES[target]
    choice = choose(parse_csv(frame.to_csv(index=False).encode()), ("f0", "f1"), "species", standardize=False)
    assert not choice.features.flags.writeable and not choice.target.flags.writeable
    with pytest.raises(ValueError):
        choice.features[0, 0] = 1.0
    assert choice.standardize is False and choice.features.shape == (30, 2)


def test_rows_with_empty_nan_or_infinite_cells_are_dropped_and_counted():
    frame, features, target = blobs(n_samples=30, n_features=2, seed=4)
    frame["species"] = SPECIES[target]
    frame = frame.astype(object)
    frame.loc[3, "f0"], frame.loc[5, "f1"], frame.loc[7, "f0"], frame.loc[9, "species"] = "", "inf", "nan", ""
    frame.loc[11, "f1"] = "-inf"
    parsed = parse_csv(frame.to_csv(index=False).encode())
    assert parsed.numeric == ("f0", "f1")

    choice = choose(parsed, ["f0", "f1"], "species")
    kept = np.ones(30, bool)
    kept[[3, 5, 7, 9, 11]] = False
    np.testing.assert_array_equal(choice.features, features[kept])
    np.testing.assert_array_equal(choice.target, target[kept])
    assert choice.dropped == 5
    assert choice.notes == ("5 rows were dropped: they had empty, NaN or infinite cells in the chosen columns.",)
    assert choose(parsed, ["f0", "f1"]).dropped == 4  # without the label, its empty row stays


def test_too_few_rows_left_after_dropping_is_refused():
    parsed = parse_csv(csv_bytes("a,b,c\n1,2,0\nnan,3,0\n4,inf,1\n5,,1\n6,7,2\n"))
    message = refused_choice(parsed, ["a", "b"])
    assert "Only 2 rows remain" in message and "dropping 3" in message and f"at least {MIN_ROWS}" in message
    assert choose(parsed, ["a", "c"]).dropped == 1  # only the chosen columns' cells count


def test_label_classes_sort_as_numbers_when_all_are_numbers():
    parsed = parse_csv(csv_bytes("x,w,size,code\n1,0,10,b\n2,1,2,a\n3,0,1.5,b\n4,1,2,10\n5,0,10,9\n"))
    assert parsed.numeric == ("x", "w", "size")
    choice = choose(parsed, ["x", "w"], "size")
    assert choice.class_names == ("1.5", "2", "10")
    np.testing.assert_array_equal(choice.target, [2, 1, 0, 1, 2])
    assert choose(parsed, ["x", "w"], "code").class_names == ("10", "9", "a", "b")  # text: sorted as text
    text_numbers = parse_csv(csv_bytes("x,w,code\n1,0,10\n2,1,9\n3,0,x\n4,1,9\n"))
    assert choose(text_numbers, ["x", "w"], "code").class_names == ("10", "9", "x")
    empty_label = parse_csv(csv_bytes("x,w,code\n1,0,10\n2,1,9\n3,0,\n4,1,9\n"))
    assert choose(empty_label, ["x", "w"], "code").class_names == ("9", "10")


# --- choices that are refused --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def parsed() -> ParsedCsv:
    return parse_csv(csv_bytes("x,y,name,one\n1,2,a,k\n3,4,b,k\n5,6,a,k\n7,8,c,k\n"))


@pytest.mark.parametrize(("features", "label", "words"), [
    ([], None, ["at least 2 columns", "[]"]),
    ("x", None, ["at least 2 columns", "'x'"]),
    (["x", "zz"], None, ["no column 'zz'"]),
    (["x", 3], None, ["no column 3"]),
    (["x"], None, ["at least 2 columns", "got 1"]),
    (["x", "name"], None, ["'name' is not a column of numbers"]),
    (["x", "x"], None, ["'x' is chosen twice"]),
    (["x", "y"], "x", ["'x' is chosen both as a feature and as the label"]),
    (["x", "y"], "nope", ["no column 'nope'", "label"]),
    (["x", "y"], 1, ["no column 1", "label"]),
])
def test_bad_choices_are_refused(parsed, features, label, words):
    message = refused_choice(parsed, features, label)
    assert all(word in message for word in words), message


def test_too_many_features_are_refused(parsed):
    message = refused_choice(parsed, [f"c{i}" for i in range(MAX_COLUMNS + 1)])
    assert "201 feature columns" in message and f"limit is {MAX_COLUMNS}" in message


def test_standardize_must_be_a_bool(parsed):
    message = refused_choice(parsed, ["x", "y"], None, standardize="yes")
    assert "Standardize must be true or false" in message and "'yes'" in message
    assert choose(parsed, ["x", "y"], None, standardize=np.True_).standardize is True


def test_rows_all_the_same_in_the_chosen_columns_are_refused():
    parsed = parse_csv(csv_bytes("x,y,z\n1,2,0\n1,2,5\n1,2,9\n"))
    message = refused_choice(parsed, ["x", "y"])
    assert "Every one of the 3 rows kept is the same" in message and "two different rows" in message
    assert choose(parsed, ["x", "z"]).features.shape == (3, 2)


def test_a_label_needs_two_to_a_hundred_classes(parsed):
    message = refused_choice(parsed, ["x", "y"], "one")
    assert "'one' has 1 class" in message and f"needs 2 to {MAX_CLASSES}" in message
    rows = "\n".join(f"{i},{i % 7},class{i}" for i in range(MAX_CLASSES + 1))
    many = parse_csv(csv_bytes("x,y,label\n" + rows + "\n"))
    assert "label" not in many.label_candidates
    message = refused_choice(many, ["x", "y"], "label")
    assert "'label' has 101 classes" in message and f"needs 2 to {MAX_CLASSES}" in message


def test_a_label_left_with_one_class_after_dropping_is_refused():
    parsed = parse_csv(csv_bytes("x,w,label\n1,0,a\n2,0,a\n3,0,a\ninf,0,b\n"))
    assert parsed.label_candidates == ("x", "label")
    assert "has 1 class in the rows kept" in refused_choice(parsed, ["x", "w"], "label")


def test_columns_too_wide_for_the_map_are_refused_with_the_way_out():
    # Ages beside incomes, not standardized: the map's plane would be 60,000 units wide.
    parsed = parse_csv(csv_bytes("age,income\n20,30000\n30,50000\n40,70000\n50,90000\n"))
    message = refused_choice(parsed, ["age", "income"], None, standardize=False)
    assert "span 60,000 units" in message and "at most 1,000" in message and "turn Standardize on" in message
    assert choose(parsed, ["age", "income"], None, standardize=True).features.shape == (4, 2)
    huge = parse_csv(csv_bytes("a,b\n1e300,1\n-1e300,2\n1,3\n"))
    assert "too wide for the map" in refused_choice(huge, ["a", "b"], None, standardize=True)
