"""People's own CSV files: kept where every process of this deployment can read them (diskcache in a
private directory, or Redis with `REDIS_URL`), for a time-to-live, and known only by a secret id.

An upload is stored twice over its life: the file as sent (`<id>:csv`), and each choice of columns
made from it as arrays (`<id>:<choice>`, numpy's own format, never pickled). Its dataset key,
`upload-<id>-<choice>`, is the only way to it: it is handed to the page that uploaded the file, is
never put in an address, a log line or a shared cache, and dies with the upload (a job's result
on it stays in the job store, under that key, until the jobs' own TTL).

An upload keeps at most CHOICES_KEPT choices, the newest: each may be 160 MB. A forget deletes every
key of the upload, also one a `choose` running at the same time in another process writes (see `forget`).

`source` is what core.datasets asks for an upload key (in the web, table and job processes): it
checks that the choice is still kept, and prepares it once per process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from core import datasets, upload_choice, uploads
from core.datasets import UPLOAD_PREFIX, DatasetInfo
from serving.jobs.store import redis_url
from serving.upload_backends import DiskBackend, RedisBackend, uploads_dir

TTL_S = int(os.environ.get("UPLOAD_TTL_S", "3600"))
MAX_KEPT = int(os.environ.get("UPLOADS_MAX", "8"))  # uploads kept at once on this deployment
# ... and from one client address: one visitor (or script) cannot take every place.
PER_CLIENT = int(os.environ.get("UPLOADS_PER_CLIENT", str(max(1, MAX_KEPT // 2))))
PREPARED_KEPT = 2  # prepared datasets kept in each process (100,000 × 200 floats is 160 MB)
CHOICES_KEPT = 2  # choices of columns kept per upload: the page's current one, and the one before it
_KEY = re.compile(rf"^{UPLOAD_PREFIX}([A-Za-z0-9_-]{{22}})-([0-9a-f]{{16}})$")
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _uploads(count: int) -> str:
    return f"{count} upload" if count == 1 else f"{count} uploads"


class StoreFull(Exception):
    """The deployment keeps as many uploads as it may: the user is told, nothing is kept."""


@dataclass(frozen=True)
class Received:
    """What the page is told about a file it sent."""

    upload_id: str
    filename: str
    parsed: uploads.ParsedCsv


class UploadStore:
    def __init__(self, redis_url: str | None = None, ttl_s: float = TTL_S, max_kept: int = MAX_KEPT,
                 per_client: int = PER_CLIENT) -> None:
        self.backend = RedisBackend(redis_url) if redis_url else DiskBackend(uploads_dir())
        self.ttl_s, self.max_kept, self.per_client = ttl_s, max_kept, per_client
        self._lock = threading.Lock()
        self._parsed: OrderedDict[str, uploads.ParsedCsv] = OrderedDict()
        self._prepared: OrderedDict[str, datasets.Dataset] = OrderedDict()

    # --- the file ---------------------------------------------------------------------------

    def receive(self, data: bytes, filename: str, replaces: str | None = None, client: str | None = None) -> Received:
        """Parse a file (core.uploads.UploadRefused says why it cannot be used) and keep it. The
        page's previous upload, if it names one, is forgotten first: a page keeps one at a time.
        `client` names the sender (a keyed hash of its address, never the address): it may keep
        `per_client` uploads at once."""
        self._check_room(replaces, client)  # before parsing: a full store refuses at once
        parsed = uploads.parse_csv(data)
        # Counted again and written under one lock: uploads sent at once cannot all take the last place.
        with self.backend.lock("receive"):
            self._check_room(replaces, client)
            if replaces:
                self.forget(replaces)
            upload_id = secrets.token_urlsafe(16)
            meta = {"filename": filename, "expires": time.time() + self.ttl_s, "choices": []}
            self.backend.put(f"{upload_id}:csv", data, self.ttl_s)
            self.backend.put(f"{upload_id}:meta", json.dumps(meta).encode(), self.ttl_s)
            if client is not None:
                self.backend.put(f"{upload_id}:from-{client}", b"", self.ttl_s)
        self._remember(self._parsed, upload_id, parsed, 2)
        return Received(upload_id, filename, parsed)

    def _check_room(self, replaces: str | None, client: str | None) -> None:
        """StoreFull unless the deployment, and this client, may keep one more upload (the page's
        previous one, which it replaces, not counted)."""
        freed = 1 if replaces and self._meta(replaces) is not None else 0
        if self.backend.count(":meta") - freed >= self.max_kept:
            raise StoreFull(f"The server already keeps {_uploads(self.max_kept)}, its limit; try again when one "
                            f"is forgotten or expires (within {self.ttl_s / 60:.0f} minutes).")
        if client is not None:
            mine = self.backend.count(f":from-{client}")
            if mine - (1 if freed and self.backend.has(f"{replaces}:from-{client}") else 0) >= self.per_client:
                raise StoreFull(f"Your address already keeps {_uploads(self.per_client)}, its limit; forget one (or "
                                f"close its tab), or wait until one expires (within {self.ttl_s / 60:.0f} minutes).")

    def _meta(self, upload_id: object) -> dict | None:
        if not isinstance(upload_id, str) or not _ID.match(upload_id):
            return None
        raw = self.backend.get(f"{upload_id}:meta")
        return None if raw is None else json.loads(raw)

    def _parsed_csv(self, upload_id: str) -> uploads.ParsedCsv | None:
        with self._lock:
            parsed = self._parsed.get(upload_id)
        if parsed is None:  # uploaded through another process
            data = self.backend.get(f"{upload_id}:csv")
            if data is None:
                return None
            parsed = uploads.parse_csv(data)
            self._remember(self._parsed, upload_id, parsed, 2)
        return parsed

    # --- a choice of columns: a dataset -------------------------------------------------------

    def choose(self, upload_id: object, features, label, standardize) -> tuple[str, tuple[str, ...]]:
        """The dataset key of this choice of columns from a kept upload, and notes on it (rows
        dropped); UploadRefused says what is wrong with the choice, KeyError that the upload is
        no longer kept."""
        meta = self._meta(upload_id)
        parsed = self._parsed_csv(upload_id) if meta else None
        if meta is None or parsed is None:
            raise KeyError("upload not kept")
        choice = upload_choice.choose(parsed, features, label, standardize)
        digest = hashlib.sha256(json.dumps([choice.feature_names, choice.label_name, choice.standardize])
                                .encode()).hexdigest()[:16]
        stored = f"{upload_id}:{digest}"
        # The meta read again, changed and written under the upload's lock: choices made at once keep
        # CHOICES_KEPT between them.
        with self.backend.lock(upload_id):
            meta = self._meta(upload_id)
            if meta is None:  # forgotten meanwhile
                raise KeyError("upload not kept")
            ttl = max(1.0, meta["expires"] - time.time())
            self.backend.put(stored, _to_bytes(choice, meta["filename"]), ttl)
            kept = ([old for old in meta["choices"] if old != digest] + [digest])[-CHOICES_KEPT:]
            dropped = [old for old in meta["choices"] if old not in kept]
            if kept != meta["choices"]:
                self.backend.put(f"{upload_id}:meta", json.dumps({**meta, "choices": kept}).encode(), ttl)
            if dropped:  # a job on a dropped choice has loaded it already; a page on it is told it is gone
                self.backend.delete(*(f"{upload_id}:{old}" for old in dropped))
        with self._lock:
            for old in dropped:
                self._prepared.pop(f"{UPLOAD_PREFIX}{upload_id}-{old}", None)
        # forget deletes the csv before it sweeps the upload's keys: the csv still here, any forget
        # sweeps after these writes and deletes them; gone, this upload was forgotten (or expired).
        if not self.backend.has(f"{upload_id}:csv"):
            self.backend.delete(stored, f"{upload_id}:meta")
            raise KeyError("upload not kept")
        return f"{UPLOAD_PREFIX}{upload_id}-{digest}", choice.notes

    def forget(self, upload_id: object) -> bool:
        """Delete an upload and every choice made from it, here and in this process's memory."""
        if self._meta(upload_id) is None:
            return False
        # The meta first (the upload no longer counts, nor can be chosen from), then the csv, and only
        # then every key of the upload: a choose in flight that wrote before the sweep began is swept;
        # one that wrote later finds the csv gone and deletes what it wrote (see choose).
        self.backend.delete(f"{upload_id}:meta", f"{upload_id}:csv")
        self.backend.delete(*self.backend.keys(f"{upload_id}:"))
        with self._lock:
            self._parsed.pop(upload_id, None)
            for key in [key for key in self._prepared if key.startswith(f"{UPLOAD_PREFIX}{upload_id}-")]:
                del self._prepared[key]
        return True

    def source(self, key: str) -> datasets.Dataset | None:
        """core.datasets' source: the dataset of a kept choice, prepared once in this process."""
        match = _KEY.match(key)
        if match is None:
            return None
        stored = f"{match[1]}:{match[2]}"
        if not self.backend.has(stored):  # forgotten or expired, maybe by another process
            with self._lock:
                self._prepared.pop(key, None)
            return None
        with self._lock:
            dataset = self._prepared.get(key)
            if dataset is not None:
                self._prepared.move_to_end(key)
                return dataset
        data = self.backend.get(stored)
        if data is None:
            return None
        dataset = _from_bytes(key, data)
        self._remember(self._prepared, key, dataset, PREPARED_KEPT)
        return dataset

    def _remember(self, kept: OrderedDict, key: str, value, size: int) -> None:
        with self._lock:
            kept[key] = value
            kept.move_to_end(key)
            while len(kept) > size:
                kept.popitem(last=False)


def _to_bytes(choice: upload_choice.Choice, filename: str) -> bytes:
    meta = {"filename": filename, "feature_names": choice.feature_names, "class_names": choice.class_names,
            "label_name": choice.label_name, "standardize": choice.standardize}
    target = choice.target if choice.target is not None else np.zeros(0, dtype=np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, features=choice.features, target=target, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    return buffer.getvalue()


def _from_bytes(key: str, data: bytes) -> datasets.Dataset:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        meta = json.loads(arrays["meta"].tobytes())
        features, target = arrays["features"], arrays["target"]
    labelled = meta["label_name"] is not None
    label = meta["label_name"] or ""
    info = DatasetInfo(key, meta["filename"], "rows", label, f"{label} classes" if labelled else "",
                       class_names=tuple(meta["class_names"]))
    return datasets.prepare(info, features, target if labelled else None, tuple(meta["class_names"]),
                            tuple(meta["feature_names"]), standardize=meta["standardize"])


_installed: UploadStore | None = None


def install_from_environment() -> UploadStore:
    """This process's store (REDIS_URL's Redis, or the local directory), added to core.datasets'
    sources: the web process, each table process and each job worker call this."""
    global _installed  # pylint: disable=global-statement
    if _installed is None:
        _installed = UploadStore(redis_url())
        datasets.add_source(_installed.source)
    return _installed
