"""Typed errors of the pipeline; only the entry points turn them into messages or HTTP codes."""


class PolicyQAError(Exception):
    """Base class of every error the library raises on purpose."""


class CorpusError(PolicyQAError):
    """The corpus folder is missing, empty or unreadable."""


class ModelError(PolicyQAError):
    """The embedding model cannot be found, converted or loaded."""


class IndexMissingError(PolicyQAError):
    """No index was built at the given folder."""


class IndexCorruptError(PolicyQAError):
    """An index folder exists but its files are damaged or disagree with the manifest."""


class IndexMismatchError(PolicyQAError):
    """An index was built with another embedding model or dictionary than the one configured."""


class QuestionError(PolicyQAError):
    """A question is empty, too long or otherwise unusable."""


class SignatureError(PolicyQAError):
    """A WeCom callback signature, receive id or timestamp does not verify."""


class PayloadError(PolicyQAError):
    """A WeCom payload is malformed: bad base64, bad padding, bad XML or JSON."""
