"""Bearer key checks in the scoring process.

``keys.json`` holds SHA-256 digests of the endpoint's keys and whether auth is on. It is
re-read when it changes (one ``stat`` per request), so ``regen_key`` takes effect on the next
request without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

__all__ = ["KeyChecker"]


class KeyChecker:
    """Checks ``Authorization: Bearer <key>`` headers against the digests in a file."""

    def __init__(self, keys_file: Path) -> None:
        self._file = keys_file
        self._stamp: tuple[int, int] | None = None
        self._digests: tuple[bytes, ...] = ()
        self._enabled = True
        self._reload()

    def _reload(self) -> None:
        try:
            st = os.stat(self._file)
        except FileNotFoundError:
            # No keys file: refuse everything rather than serve without auth by accident.
            self._stamp, self._digests, self._enabled = None, (), True
            return
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp == self._stamp:
            return
        with open(self._file) as fh:
            data = json.load(fh)
        self._digests = tuple(bytes.fromhex(d) for d in data.get("digests", []))
        self._enabled = bool(data.get("auth_enabled", True))
        self._stamp = stamp

    @property
    def enabled(self) -> bool:
        """Whether key auth is on, as the keys file says now.

        The file is re-read first if it changed. Without a keys file auth is on and no key
        is accepted.
        """
        self._reload()
        return self._enabled

    def allows(self, authorization: str | None) -> bool:
        """True when auth is off, or the header carries one of the endpoint's keys.

        Parameters
        ----------
        authorization : str or None
            The request's ``Authorization`` header, ``Bearer <key>`` (the scheme in any case).

        Returns
        -------
        bool
            Whether the request may be served.
        """
        self._reload()
        if not self._enabled:
            return True
        if not authorization:
            return False
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key:
            return False
        found = hashlib.sha256(key.strip().encode()).digest()
        # Compare with every digest, so timing says nothing about which one matched.
        ok = False
        for expected in self._digests:
            ok |= hmac.compare_digest(found, expected)
        return ok
