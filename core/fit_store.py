"""A store of finished fits shared beyond this process (e.g. Redis), when the server provides one.

core knows nothing of Flask or Redis: it sees a `FitStore` (get/set by string key, any picklable
value) that `set_backend()` installs, or none. Without one (the embedded default) every fit is
computed here and kept in this process's own caches. A backend must never raise: the serving side
wraps its client so that an unreachable store reads as a miss and ignores writes.

Keys carry `VERSION`: the code that made a fit (a number bumped when a fit's meaning changes, and
the scikit-learn and numpy versions) and a digest of the data it was fitted on, so a worker never
reuses a fit made by other code or from other data.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

import numpy as np
import sklearn

from core import data

log = logging.getLogger(__name__)

CODE_VERSION = 1  # bump when what a cached fit holds, or how it is computed, changes

T = TypeVar("T")


class FitStore(Protocol):
    def get(self, key: str) -> object | None: ...

    def set(self, key: str, value: object) -> None: ...


_backend: FitStore | None = None


def set_backend(backend: FitStore | None) -> None:
    """Share fits through `backend` from now on (None: this process only)."""
    global _backend  # pylint: disable=global-statement
    _backend = backend


def backend() -> FitStore | None:
    return _backend


@functools.lru_cache(maxsize=1)
def version() -> str:
    digits = data.load()
    digest = hashlib.sha256(digits.scaled.tobytes() + digits.target.tobytes()).hexdigest()[:16]
    return f"fits{CODE_VERSION}/sklearn{sklearn.__version__}/numpy{np.__version__}/data{digest}"


def key(kind: str, args: tuple) -> str:
    return f"{version()}:{kind}:{args!r}"


def lookup(kind: str, args: tuple) -> object | None:
    store = _backend
    return None if store is None else store.get(key(kind, args))


def keep(kind: str, args: tuple, value: object) -> None:
    store = _backend
    if store is not None:
        store.set(key(kind, args), value)


def shared(kind: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a pure function of hashable, repr-stable arguments: its results are read from and
    written to the shared store (when there is one) under `kind` and the arguments."""

    def decorate(function: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(function)
        def through_store(*args):
            found = lookup(kind, args)
            if found is not None:
                return found
            value = function(*args)
            keep(kind, args, value)
            return value

        return through_store

    return decorate
