"""Endpoint keys: made here, checked by digest, stored sealed.

A key is 32 random bytes (URL-safe text). The scoring process only ever sees SHA-256 digests
(``keys.json``); the metadata database holds the digest and the key sealed with Fernet under a
per-workspace secret (``.mlstudio/secrets/endpoint-keys.key``, readable by its owner only),
so a copy of the database alone reveals no key. Keys are never logged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

__all__ = ["KeySealer", "digest", "new_key"]

SLOTS = ("primary", "secondary")


def new_key() -> str:
    """A new endpoint key: 32 random bytes from :mod:`secrets`, as URL-safe text."""
    return secrets.token_urlsafe(32)


def digest(key: str) -> str:
    """The SHA-256 digest of ``key`` as hex text, the form the scoring process checks.

    Parameters
    ----------
    key : str
        An endpoint key.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    return hashlib.sha256(key.encode()).hexdigest()


class KeySealer:
    """Seals and opens keys with the workspace's secret, made on first use."""

    def __init__(self, secret_file: Path) -> None:
        self._file = secret_file
        self._fernet: object | None = None

    def _cipher(self) -> object:
        if self._fernet is None:
            from cryptography.fernet import Fernet

            if not self._file.exists():
                self._file.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(self._file.parent, 0o700)
                fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, Fernet.generate_key())
                except BaseException:
                    os.unlink(self._file)
                    raise
                finally:
                    os.close(fd)
            self._fernet = Fernet(self._file.read_bytes().strip())
        return self._fernet

    def seal(self, key: str) -> str:
        """Encrypt ``key`` with the workspace's secret (Fernet), making the secret if needed.

        Parameters
        ----------
        key : str
            The key in the clear.

        Returns
        -------
        str
            The sealed key (a Fernet token), safe to store in the metadata database.
        """
        return self._cipher().encrypt(key.encode()).decode()  # type: ignore[attr-defined]

    def open(self, sealed: str) -> str:
        """Decrypt a key sealed by :meth:`seal`.

        Parameters
        ----------
        sealed : str
            The Fernet token :meth:`seal` returned.

        Returns
        -------
        str
            The key in the clear.

        Raises
        ------
        WebserviceException
            If the key was sealed under another workspace secret than this one.
        """
        from cryptography.fernet import InvalidToken

        from jupyter_mlstudio.serving.errors import WebserviceException

        try:
            return self._cipher().decrypt(sealed.encode()).decode()  # type: ignore[attr-defined]
        except InvalidToken as exc:
            raise WebserviceException(
                "This endpoint's keys were sealed with another workspace secret than "
                f"{self._file}.",
                hint="Open the workspace from the machine that deployed the endpoint, or "
                "make new keys with regen_key('Primary') and regen_key('Secondary').",
            ) from exc
