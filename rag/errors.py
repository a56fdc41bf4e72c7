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
    """A question is empty, too long or otherwise unusable.

    ``problem`` (``empty`` or ``too_long``), ``length`` and ``limit`` let each channel say
    it in its own words.
    """

    def __init__(self, message: str, problem: str = "invalid", length: int = 0, limit: int = 0):
        super().__init__(message)
        self.problem = problem
        self.length = length
        self.limit = limit


class LLMError(PolicyQAError):
    """The chat endpoint could not be reached or gave no usable reply."""


class LLMConfigError(PolicyQAError):
    """The LLM settings are incomplete."""


class StoreUnavailableError(PolicyQAError):
    """The index store (a Milvus server) cannot be reached or failed a request; retrying may succeed."""
