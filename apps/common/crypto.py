"""Encryption at rest for secrets the portal must read back (platform refresh tokens, client secrets).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``; ``MultiFernet`` decrypts with any configured key and
encrypts with the first, so keys rotate by prepending a new one to ``FIELD_ENCRYPTION_KEYS``.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = base64.urlsafe_b64encode(hashlib.sha256(f"greenlight-fields:{secret_key}".encode()).digest())
        keys = (derived.decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; reads give the clear text, '' stays ''.

    Not searchable or orderable by design. A value that no configured key can decrypt raises
    ``InvalidToken`` on read rather than returning garbage.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)


__all__ = ["EncryptedTextField", "InvalidToken", "decrypt", "encrypt"]
