"""Results of an upload the page has forgotten (or replaced with another file) leave the page with
it: the sweep's and the stability run's panels, and the replay. Results of data still kept, and of
the built-in datasets, stay."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from callbacks import jobs as job_callbacks
from callbacks import replay as replay_callbacks
from core import datasets
from tests.unit.test_upload_store import labelled_csv


@pytest.fixture
def upload_key(store):
    received = store.receive(labelled_csv()[0], "blobs.csv")
    key, _notes = store.choose(received.upload_id, ["f0", "f1", "f2"], "species", True)
    return store, received.upload_id, key


def test_a_job_result_of_a_forgotten_upload_goes_and_says_why(upload_key):
    store, upload_id, key = upload_key
    shown = {"dataset": key, "init_method": "k-means++", "n_init": 1, "seed": 0, "k_min": 2, "k_max": 4}
    with pytest.raises(PreventUpdate):  # still kept: the result stays
        job_callbacks.forgotten_result(None, shown)
    store.forget(upload_id)
    assert datasets.gone(key)
    cleared = job_callbacks.forgotten_result(None, shown)
    assert cleared["shown"] is None and cleared["download_disabled"] is True and cleared["message_hidden"] is False
    assert cleared["style"] == {"display": "none"} and cleared["message"] == job_callbacks.FORGOTTEN_TEXT


@pytest.mark.parametrize("shown", [None, "forged", {"dataset": "digits", "k_min": 2}, {"dataset": ["upload-x"]}])
def test_results_of_built_in_data_or_forged_ones_stay(shown):
    with pytest.raises(PreventUpdate):
        job_callbacks.forgotten_result(None, shown)


def test_the_replay_of_a_forgotten_upload_goes_and_its_caption_named_the_file(upload_key):
    store, upload_id, key = upload_key
    frames = replay_callbacks.frames_for(key, "k-means++", 3, 1, 0)
    assert frames["caption"].startswith(datasets.load(key).info.title + " · k-means++ · k 3 · seed 0")
    with pytest.raises(PreventUpdate):
        replay_callbacks.forgotten_replay(None, frames)
    store.forget(upload_id)
    with pytest.raises(KeyError):  # the steps were not kept: nothing of the upload outlives it
        replay_callbacks.frames_for(key, "k-means++", 3, 1, 0)
    assert replay_callbacks.forgotten_replay(None, frames) == [None, 0, 0, True, True,
                                                                replay_callbacks.FORGOTTEN_TEXT, {"display": "none"}]
