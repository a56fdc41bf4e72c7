"""What every backend must reproduce: sentence-transformers' embeddings of a few probe texts.

sentence-transformers (torch) is the reference. An export records the reference
vectors of ``PROBES``. Two tolerances, both measured on this model (eval/backends.py,
README Performance), bound a backend's largest deviation from them per component:

- ``TOLERANCE`` (1e-5): the same arithmetic. Float32 backends differ from torch by at most
  1.2e-7 (another summation order); an exact precision beyond 1e-5 is a broken export.
- ``COMPATIBLE`` (2e-3): close enough that an index built by one backend serves another
  unchanged, so they share a fingerprint (and the refusal gate's cached question banks).
  OpenVINO bf16 deviates by 8.6e-4 (cosine to torch ≥ 0.99998 on every library passage);
  indexes it built, asked through onnx q4 or by bf16 itself, gave the same answers, refusals
  and hybrid hit@1/hit@3 as onnx q4's own on the shipped policy, the development library and
  a held-out library. Dynamic int8 deviates by 3e-2 and moves the top passage of 19% of the
  questions: it gets a fingerprint of its own, so an index built by another is refused with
  the rebuild hint.
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
COMPATIBLE = 2e-3
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
    """The fingerprint of a backend whose embeddings are not within COMPATIBLE of the reference."""
    return hashlib.sha256(f"{base}/{backend}/{precision}".encode()).hexdigest()[:16]


def deviation(vectors: np.ndarray, reference: np.ndarray) -> float:
    """Largest absolute difference of any component."""
    return float(np.max(np.abs(np.asarray(vectors, dtype=np.float32) - np.asarray(reference, dtype=np.float32))))
