"""Document identity: title, 文号, issuers, dates, region, type and status of one policy.

Read from the text by the general shapes of Chinese government documents (letterheads,
文号, 印发 notices, signatures, 条例 题注) and overridable by a ``<file>.meta.json`` sidecar.
"""

from rag.corpus.identity.identify import identify
from rag.corpus.identity.record import DocumentIdentity
from rag.corpus.identity.sidecar import read_sidecar, sidecar_path

__all__ = ["DocumentIdentity", "identify", "read_sidecar", "sidecar_path"]
