"""Errors of the WeCom channels; the API maps them to the status codes WeCom expects."""

from rag.errors import PolicyQAError


class SignatureError(PolicyQAError):
    """A WeCom callback signature, receive id or timestamp does not verify."""


class PayloadError(PolicyQAError):
    """A WeCom payload is malformed: bad base64, bad padding, bad XML or JSON."""


class PushError(PolicyQAError):
    """The group robot webhook could not be reached or refused the message."""
