"""Token ids for the exported encoders, from the model folder's own ``tokenizer.json``.

The exported graph starts at token ids, so the runtimes tokenize here with the
``tokenizers`` library, as sentence-transformers does through transformers: prompt
prepended to the text, truncation to the model's ``max_seq_length``, padding to the
longest text of a batch. The export checks these ids against the library's on probe
texts, a long one included (rag/encoder/export.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from rag.errors import ModelError


class TokenBatcher:
    """Texts to padded ``input_ids`` / ``attention_mask`` arrays, shortest texts batched together."""

    def __init__(self, tokenizer_file: Path, max_length: int, pad_id: int):
        from tokenizers import Tokenizer

        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as e:  # the library raises a bare Exception for unreadable files
            raise ModelError(f"cannot read the tokenizer {tokenizer_file} ({e}); set POLICY_QA_BACKEND=torch "
                             f"or rebuild the model folder") from e
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length)
        self.pad_id = pad_id

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def one(self, text: str) -> dict[str, np.ndarray]:
        ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones_like(ids)}

    def batches(self, texts: Sequence[str], batch_size: int) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """(positions in ``texts``, feed) per batch, by increasing length so little is padded."""
        ids = self.ids(texts)
        order = np.argsort([len(i) for i in ids], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(ids[r]) for r in rows)
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, r in enumerate(rows):
                input_ids[row, :len(ids[r])] = ids[r]
                mask[row, :len(ids[r])] = 1
            yield rows, {"input_ids": input_ids, "attention_mask": mask}
