"""What the upload code holds against: requests at once (threads here; processes share the same
locks), the store's limits holding between them; and forged answers in the page's store (the
callback endpoint is public)."""

from __future__ import annotations

import itertools
import threading
from unittest import mock

import pandas as pd
import pytest
from dash import no_update
from sklearn.datasets import make_blobs

from callbacks import uploads as upload_callbacks
from serving.uploads import CHOICES_KEPT, StoreFull, UploadStore
from tests.unit.test_upload_store import FEATURES, kept, labelled_csv


def at_once(calls) -> list:
    """Run the calls in threads released together; each one's result or exception."""
    barrier, outcomes = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 (the outcome under test)
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_choices_made_at_once_keep_only_the_newest_two(store):
    names = [f"c{i}" for i in range(6)]
    features, _ = make_blobs(n_samples=300, n_features=6, random_state=0)
    upload_id = store.receive(pd.DataFrame(features, columns=names).to_csv(index=False).encode(), "six.csv").upload_id
    subsets = [list(columns) for columns in itertools.combinations(names, 3)][:12]
    outcomes = at_once([lambda columns=columns: store.choose(upload_id, columns, None, True) for columns in subsets])
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    arrays = [key for key in store.backend.keys(f"{upload_id}:") if not key.endswith((":csv", ":meta"))]
    assert len(arrays) == CHOICES_KEPT


def test_uploads_sent_at_once_cannot_all_take_the_last_places(tmp_path, monkeypatch):
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "uploads"))
    store = UploadStore(max_kept=8, per_client=2)
    outcomes = at_once([lambda seed=seed: store.receive(labelled_csv(seed)[0], "a.csv", client="one-visitor")
                        for seed in range(6)])
    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 2
    assert all(isinstance(outcome, StoreFull) for outcome in outcomes if isinstance(outcome, Exception))
    assert store.backend.count(":meta") == 2


def test_a_forged_received_answer_changes_nothing(store):
    """The upload-received store is the page's: any JSON may come back in it."""
    received = store.receive(labelled_csv()[0], "blobs.csv")
    page = {"id": received.upload_id, "filename": "blobs.csv", "rows": received.parsed.n_rows,
            "columns": list(received.parsed.columns), "numeric": list(received.parsed.numeric),
            "label_candidates": list(received.parsed.label_candidates), "notes": []}
    for forged in ({**page, "numeric": [{"x": 1}]}, {**page, "label_candidates": [3]}, {**page, "columns": "f0"}):
        shown = upload_callbacks.show_received(forged)
        assert shown["hidden"] is True and shown["value"] is no_update and shown["options"] is no_update


def choose_while_another_process_forgets(mine: UploadStore, theirs: UploadStore, upload_id: str, written: str) -> None:
    """`mine` chooses columns; `theirs` forgets the upload just before `written` ("the choice" or "the
    meta") is stored: the choice must be refused as not kept."""
    put = mine.backend.put

    def put_after_a_forget(key: str, value: bytes, ttl_s: float) -> None:
        if key.endswith(":meta") == (written == "the meta"):
            assert theirs.forget(upload_id) is True
        put(key, value, ttl_s)

    with mock.patch.object(mine.backend, "put", side_effect=put_after_a_forget), pytest.raises(KeyError):
        mine.choose(upload_id, FEATURES, "species", True)


@pytest.mark.parametrize("written", ["the choice", "the meta"])
def test_a_forget_from_another_process_in_the_middle_of_a_choice_wins(tmp_path, monkeypatch, written):
    """Forget lands after the choice read the upload's meta, before (or between) its writes."""
    monkeypatch.setenv("UPLOADS_DIR", str(tmp_path / "uploads"))
    mine, theirs = UploadStore(max_kept=1), UploadStore()  # two processes on one directory
    upload_id = mine.receive(labelled_csv()[0], "blobs.csv").upload_id
    choose_while_another_process_forgets(mine, theirs, upload_id, written)
    assert kept(mine, upload_id) == []  # nothing of it is kept: no choice, no meta brought back
    assert mine.receive(labelled_csv(1)[0], "next.csv")  # nor counted against the cap of one upload
