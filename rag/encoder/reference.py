"""What every backend must reproduce: sentence-transformers' embeddings of a few probe texts.

sentence-transformers (torch) is the reference. An export records the reference
vectors of ``PROBES``; a backend that reproduces every component within ``TOLERANCE``
computes the same model, shares its fingerprint and so accepts its indexes (and the
refusal gate's cached question banks). One that does not (bf16, int8) gets a
fingerprint of its own, so an index built by the other is refused with the rebuild hint.

The tolerance was measured on this model (eval/backends.py, README Performance): float32
backends differ from torch by at most 1.2e-7 per component (another summation order),
bf16 and int8 by about 3e-3. 1e-5 sits a hundredfold away from both; a cosine moved by
less than 1e-5 is far below the refusal gate's 0.003 safety gap.
"""

from __future__ import annotations

import hashlib

import numpy as np

# Several lengths (a trace or an export that fixed the sequence length would show), the
# fingerprint probe first, and one text past 512 tokens to check truncation.
PROBES = ("科创企业融资担保与普惠金融", "贷款",
          "支持科技型中小企业通过知识产权质押融资、投贷联动等方式获得信贷支持，" * 3,
          "Fintech pilots: 数字人民币试点、跨境贸易投资高水平开放。",
          "推动台企金融服务便利化，" * 60)
TOLERANCE = 1e-5
# Beyond this a lossy backend is not the same model any more: its export is taken as damaged.
SANITY = 0.1


def fingerprint(reference: np.ndarray, passage_prompt: str) -> str:
    """Identity of the weights (through what they compute on the first probe) and of the passage prompt."""
    # Same name but other weights (a re-converted or fine-tuned model) must not silently
    # reuse an index; rounding keeps the digest stable under float32 reordering.
    digest = hashlib.sha256(np.round(np.asarray(reference[0], dtype=np.float32), 3).tobytes()
                            + passage_prompt.encode())
    return digest.hexdigest()[:16]


def variant_fingerprint(base: str, backend: str, precision: str) -> str:
    """The fingerprint of a backend whose embeddings are not within TOLERANCE of the reference."""
    return hashlib.sha256(f"{base}/{backend}/{precision}".encode()).hexdigest()[:16]


def deviation(vectors: np.ndarray, reference: np.ndarray) -> float:
    """Largest absolute difference of any component."""
    return float(np.max(np.abs(np.asarray(vectors, dtype=np.float32) - np.asarray(reference, dtype=np.float32))))
