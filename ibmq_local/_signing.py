"""Presigned object-storage URLs: an HMAC over method, path and expiry.

The legacy client uploads the Qobj and downloads results from absolute URLs it received
from the API, sending no credentials of its own there (protocol 3.1, 4.4). The local
service mimics object storage by signing such URLs; the signature is the only access
control on them. A signature covers the method, the path (which names one job and one
object, ``jobs/<id>/qobj`` or ``jobs/<id>/result``) and the expiry: a URL works for that
request only, until then.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

EXPIRES_PARAM = "expires"
SIGNATURE_PARAM = "signature"
_MAX_EXPIRES_DIGITS = 12


class SignatureError(Exception):
    """A presigned URL failed verification."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class UrlSigner:
    """Sign and verify ``(method, path)`` pairs with an expiry."""

    def __init__(self, secret: str | bytes, ttl_seconds: int) -> None:
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.ttl_seconds = ttl_seconds

    def query(self, method: str, path: str, *, expires: int | None = None) -> str:
        """Return the query string (``expires=...&signature=...``) that authorises a request.

        ``expires`` is a Unix time; by default now plus the signer's TTL.
        """
        if expires is None:
            expires = int(time.time()) + self.ttl_seconds
        signature = self._digest(method, path, expires)
        return urlencode({EXPIRES_PARAM: expires, SIGNATURE_PARAM: signature})

    def verify(
        self,
        method: str,
        path: str,
        expires: str | None,
        signature: str | None,
        *,
        now: float | None = None,
    ) -> None:
        """Check a request against its signature.

        Raises:
            SignatureError: when the signature is missing or wrong, or the URL expired.
        """
        if not expires or not signature:
            raise SignatureError("The URL is not signed.")
        # ASCII digits only (str.isdigit() also takes "²", which int() refuses), and few of
        # them: no Unix time needs more, and int() of thousands of digits raises.
        if not (expires.isascii() and expires.isdigit() and len(expires) <= _MAX_EXPIRES_DIGITS):
            raise SignatureError("The URL's expiry is malformed.")
        expected = self._digest(method, path, int(expires))
        if not (signature.isascii() and hmac.compare_digest(expected, signature)):
            raise SignatureError("The URL signature does not match.")
        if int(expires) < (time.time() if now is None else now):
            raise SignatureError("The URL has expired.", expired=True)

    def _digest(self, method: str, path: str, expires: int) -> str:
        message = f"{method.upper()}\n{path}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
