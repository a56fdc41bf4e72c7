"""One question at a time through a TorchScript trace of the model's transformer.

A server encodes one short question per request. Through ``SentenceTransformer.encode``
each call walks some 200 ``nn.Module`` calls in Python, holding the GIL between the
small matrix products, so two requests in two threads mostly wait for each other. The
traced transformer runs the whole forward pass in C++ without the GIL: on two cores it
is about a third faster for one question and encodes two questions side by side at
twice the rate (see README, Performance).

The trace is taken on a single unpadded question, and only ever serves single unpadded
questions. It is used only when it reproduces ``SentenceTransformer.encode`` on probe
questions of several lengths; any other model keeps the ordinary path.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

# Three lengths, so a trace that fixed the sequence length would show.
_PROBES = ("贷款", "科创企业融资担保与普惠金融",
           "支持科技型中小企业通过知识产权质押融资、投贷联动等方式获得信贷支持，" * 3)
_TOLERANCE = 1e-5
_MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

SingleEncoder = Callable[[str], np.ndarray]


def trace_single(model, prompt: str) -> SingleEncoder | None:
    """An encoder of one text equal to ``model.encode([text], prompt=prompt)``, or None if none can be made."""
    import torch

    first, rest = model[0], list(model)[1:]
    transformer = getattr(first, "auto_model", None)
    if transformer is None:
        return None
    example = model.preprocess([_PROBES[1]], prompt=prompt)
    names = [k for k in _MODEL_INPUTS if k in example]
    output_name = getattr(first, "module_output_name", "token_embeddings")
    library_log = logging.getLogger("transformers")
    level = library_log.level
    try:
        # Deprecation notices, "trace might not generalise" warnings and transformers'
        # remarks on attributes the tracer reads are expected: the probes below check
        # that this trace does generalise to single questions.
        library_log.setLevel(logging.ERROR)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(transformer, example_kwarg_inputs={k: example[k] for k in names}, strict=False)
    except Exception as e:  # tracing arbitrary models fails in many ways; the ordinary path still works
        log.info("no traced encoder for this model (%s); using SentenceTransformer.encode", e)
        return None
    finally:
        library_log.setLevel(level)

    def encode(text: str) -> np.ndarray:
        features = model.preprocess([text], prompt=prompt)
        with torch.inference_mode():
            out = traced(**{k: features[k] for k in names})
            features[output_name] = out["last_hidden_state"] if isinstance(out, dict) else out[0]
            for module in rest:
                features = module(features)
            vector = torch.nn.functional.normalize(features["sentence_embedding"], dim=-1)
        return np.ascontiguousarray(vector[0].numpy(), dtype=np.float32)

    try:
        for probe in _PROBES:
            reference = model.encode([probe], prompt=prompt, normalize_embeddings=True, convert_to_numpy=True)[0]
            if float(np.max(np.abs(encode(probe) - reference))) > _TOLERANCE:
                log.info("the traced encoder differs from SentenceTransformer.encode; not using it")
                return None
    except Exception as e:  # same reason as above: an untraceable model keeps the ordinary path
        log.info("the traced encoder fails on probe questions (%s); not using it", e)
        return None
    return encode
