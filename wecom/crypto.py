"""WeCom callback crypto: msg_signature, AES-256-CBC envelope, replay window.

Protocol: key = base64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7 padding to
32-byte blocks; plaintext = 16 random bytes + 4-byte big-endian length + message + receive id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wecom.errors import PayloadError, SignatureError

BLOCK = 32  # WeCom pads to 32 bytes although AES blocks are 16
_PREFIX = 16
_LENGTH = struct.Struct(">I")


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The msg_signature WeCom puts on (and expects of) every encrypted payload."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def parse_key(encoding_aes_key: str) -> bytes:
    """Decode a 43-character EncodingAESKey to its 32-byte AES key."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as err:
        # The key is a secret: name its length, never its value.
        raise ValueError(f"EncodingAESKey of length {len(encoding_aes_key)} is not base64") from err
    if len(key) != 32:
        raise ValueError(f"EncodingAESKey decodes to {len(key)} bytes, expected 32 (43 characters)")
    return key


def pad(data: bytes) -> bytes:
    """PKCS#7 to a multiple of 32 bytes (a full block of 32 when already aligned)."""
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def unpad(data: bytes) -> bytes:
    """Strip PKCS#7 padding of 1..32 bytes; anything else is a :class:`PayloadError`."""
    n = data[-1] if data else 0
    if not 1 <= n <= BLOCK or n > len(data) or data[-n:] != bytes([n]) * n:
        raise PayloadError(f"bad padding value {n} (expected 1..{BLOCK} repeated bytes)")
    return data[:-n]


def check_timestamp(timestamp: str, window: int | None, now: float | None = None) -> None:
    """Reject a timestamp more than ``window`` seconds from ``now`` (``None`` disables the check)."""
    if window is None:
        return
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError(f"timestamp {timestamp!r} is not an integer") from None
    now = time.time() if now is None else now
    # Both directions: a far-future timestamp would otherwise stay replayable for long.
    if abs(now - ts) > window:
        raise SignatureError(f"timestamp {timestamp} is outside the {window} s replay window")


@dataclass(frozen=True)
class Sealed:
    """An encrypted reply with the fields WeCom expects next to it."""

    encrypt: str
    signature: str
    timestamp: str
    nonce: str


@dataclass(frozen=True)
class WeComCrypto:
    """One callback endpoint's secrets: token, AES key and the receive id it must carry."""

    # Secrets stay out of repr so they cannot leak into logs or tracebacks.
    token: str = field(repr=False)
    key: bytes = field(repr=False)
    receive_id: str = ""
    replay_window: int | None = 600

    @classmethod
    def create(
        cls, token: str, encoding_aes_key: str, receive_id: str, replay_window: int | None = 600
    ) -> WeComCrypto:
        """Build from the configured EncodingAESKey (raises ValueError if it is malformed)."""
        return cls(token, parse_key(encoding_aes_key), receive_id, replay_window)

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, random_prefix: bytes | None = None) -> str:
        """Encrypt ``message`` for WeCom; ``random_prefix`` is only fixed by known-answer tests."""
        prefix = secrets.token_bytes(_PREFIX) if random_prefix is None else random_prefix
        if len(prefix) != _PREFIX:
            raise ValueError(f"random prefix has {len(prefix)} bytes, expected {_PREFIX}")
        body = message.encode()
        plain = prefix + _LENGTH.pack(len(body)) + body + self.receive_id.encode()
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(pad(plain)) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        """Decrypt an ``Encrypt`` field and check its receive id; returns the message text."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError(f"encrypt field is not base64 ({len(encrypt)} characters)") from None
        if not raw or len(raw) % 16:
            raise PayloadError(f"ciphertext of {len(raw)} bytes is not a whole number of AES blocks")
        dec = self._cipher().decryptor()
        plain = unpad(dec.update(raw) + dec.finalize())
        if len(plain) < _PREFIX + _LENGTH.size:
            raise PayloadError(f"plaintext of {len(plain)} bytes is shorter than its header")
        (size,) = _LENGTH.unpack_from(plain, _PREFIX)
        start = _PREFIX + _LENGTH.size
        if size > len(plain) - start:
            raise PayloadError(f"length field {size} exceeds the {len(plain) - start} bytes that follow")
        try:
            message = plain[start : start + size].decode()
            receive_id = plain[start + size :].decode()
        except UnicodeDecodeError:
            raise PayloadError("decrypted message is not UTF-8") from None
        if receive_id != self.receive_id:
            raise SignatureError(f"receive id {receive_id!r} does not match the configured one")
        return message

    def verify(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: float | None = None
    ) -> None:
        """Check signature, then timestamp; raises :class:`SignatureError`. Decrypts nothing."""
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.encode()):
            raise SignatureError(f"msg_signature {msg_signature!r} does not match the payload")
        check_timestamp(timestamp, self.replay_window, now)

    def open(
        self, msg_signature: str, timestamp: str, nonce: str, encrypt: str, now: float | None = None
    ) -> str:
        """Verify then decrypt a callback payload (also the GET echostr)."""
        self.verify(msg_signature, timestamp, nonce, encrypt, now)
        return self.decrypt(encrypt)

    def seal(
        self, message: str, nonce: str, timestamp: str | None = None, random_prefix: bytes | None = None
    ) -> Sealed:
        """Encrypt and sign a reply."""
        ts = str(int(time.time())) if timestamp is None else timestamp
        encrypt = self.encrypt(message, random_prefix)
        return Sealed(encrypt, signature(self.token, ts, nonce, encrypt), ts, nonce)
