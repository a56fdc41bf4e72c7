"""The plain envelope around a callback's ciphertext, which the bot writes in JSON and the app in XML.

Both channels carry the same fields, only named and serialised their own way: one ``encrypt``
field in the request body, and encrypt, signature, timestamp and nonce around a reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wecom.crypto import Sealed
from wecom.errors import PayloadError

Fields = Sequence[tuple[str, str | int]]


@dataclass(frozen=True)
class Envelope:
    """One channel's envelope format."""

    # The encrypt field of a request body ("" when absent); raises PayloadError on a bad body.
    encrypt_of: Callable[[bytes], str]
    missing: str  # the PayloadError message for a body without ciphertext
    reply_names: tuple[str, str, str, str]  # encrypt, signature, timestamp, nonce
    dump: Callable[[Fields], str]  # reply fields, in order, to the body text
    media_type: str

    def parse(self, body: bytes) -> str:
        """The ciphertext of a POST body; PayloadError when the body has none."""
        encrypt = self.encrypt_of(body)
        if not encrypt:
            raise PayloadError(self.missing)
        return encrypt

    def reply(self, sealed: Sealed) -> str:
        """The body WeCom expects around an encrypted reply."""
        # WeCom reads the reply's timestamp as a number in both formats.
        values = (sealed.encrypt, sealed.signature, int(sealed.timestamp), sealed.nonce)
        return self.dump(list(zip(self.reply_names, values)))
