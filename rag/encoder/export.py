"""Export a sentence-transformers model to ONNX once, into POLICY_QA_HOME, for the faster backends.

The library loads the model and stays the reference: the transformer is exported with
``torch.onnx.export`` together with the model's own modules after it (its pooling and
normalisation, read from its configuration like everything else), so the graph maps
token ids to the sentence embedding. The export also records the model's prompts, its
tokenizer settings (checked to give the library's ids) and the reference vectors of
the probe texts (rag/encoder/reference.py). Layout::

    <home>/models/exports/<folder>-<path hash>-<files hash>/
        export.json       what was exported, from which files; prompts; reference vectors
        model.onnx        float32
        model-q4.onnx     the same graph, weights kept as the exact 4-bit blocks they are (rag/encoder/q4.py)
        model-int8.onnx   dynamic int8 quantisation, made on first use (lossy)

The folder is keyed by the model folder's files (names, sizes, modification times), so a
re-converted or replaced model gets a new export; it is written in a temporary folder
and renamed into place under a lock, as the model conversion is (rag/encoder/convert.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.encoder.convert import exclusive
from rag.encoder.reference import PROBES
from rag.errors import ModelError

log = logging.getLogger(__name__)

EXPORT_VERSION = 1
META = "export.json"
FILES = {"fp32": "model.onnx", "q4": "model-q4.onnx", "int8": "model-int8.onnx"}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_TORCH_HINT = "set POLICY_QA_BACKEND=torch to use the model through sentence-transformers"


@dataclass(frozen=True)
class Exported:
    """An export on disk and what its runtimes need to reproduce the library."""

    folder: Path
    model_dir: Path
    inputs: tuple[str, ...]
    max_length: int
    pad_id: int
    dimension: int
    prompts: dict[str, str]
    reference: np.ndarray  # the library's vectors of PROBES, no prompt
    precisions: tuple[str, ...]  # made at export time; int8 is made on demand

    def file(self, precision: str) -> Path:
        return self.folder / FILES[precision]

    @property
    def tokenizer_file(self) -> Path:
        return self.model_dir / "tokenizer.json"


def export_folder(model_dir: Path, home: Path) -> Path:
    model_dir = Path(model_dir).resolve()
    where = hashlib.sha256(str(model_dir).encode()).hexdigest()[:8]
    return Path(home) / "models" / "exports" / f"{model_dir.name}-{where}-{_identity(model_dir)[:16]}"


def _identity(model_dir: Path) -> str:
    files = sorted(p for p in model_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    listing = [(p.relative_to(model_dir).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps([EXPORT_VERSION, listing]).encode()).hexdigest()


def ensure_export(model_dir: Path, home: Path, rebuild: bool = False) -> Exported:
    """The export of ``model_dir`` under ``home``, made first if missing, stale or (``rebuild``) damaged."""
    model_dir = Path(model_dir)
    if not (model_dir / "tokenizer.json").is_file():
        raise ModelError(f"{model_dir} has no tokenizer.json, which the exported backends need; {_TORCH_HINT}")
    folder = export_folder(model_dir, home)
    if not rebuild and (found := read_export(folder, model_dir)) is not None:
        return found
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"{folder.parent}: cannot create the exports folder ({e}); check permissions") from e
    with exclusive(folder.parent / f".{folder.name}.lock"):
        if not rebuild and (found := read_export(folder, model_dir)) is not None:
            return found  # a concurrent caller exported it meanwhile
        _write(model_dir, folder)
    found = read_export(folder, model_dir)
    if found is None:
        raise ModelError(f"{folder}: the export was written but cannot be read back; check free space")
    return found


def read_export(folder: Path, model_dir: Path) -> Exported | None:
    """The export in ``folder`` if complete (every recorded file there, at its recorded size); else None."""
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        complete = meta["version"] == EXPORT_VERSION and all(
            (folder / FILES[p]).stat().st_size == size for p, size in meta["sizes"].items())
        if not complete:
            return None
        return Exported(folder, Path(model_dir), tuple(meta["inputs"]), int(meta["max_length"]), int(meta["pad_id"]),
                        int(meta["dimension"]), dict(meta["prompts"]),
                        np.asarray(meta["reference"], dtype=np.float32), tuple(meta["sizes"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(model_dir: Path, folder: Path) -> None:
    for leftover in folder.parent.glob(f".{folder.name}.*"):  # of killed exports; none is live under the lock
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        started = time.perf_counter()
        _export(model_dir, tmp)
        for path in tmp.iterdir():
            path.chmod(0o644)
        tmp.chmod(0o755)
        if folder.exists():  # damaged or a previous version: replace it whole
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old / "stale")
        os.rename(tmp, folder)
        log.info("exported %s to %s in %.1f s", model_dir, folder, time.perf_counter() - started)
    except OSError as e:
        raise ModelError(f"{folder}: cannot write the exported model ({e}); check permissions and free space") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for old in folder.parent.glob(f".{folder.name}.*.old"):
            shutil.rmtree(old, ignore_errors=True)
    stem = folder.name.rsplit("-", 1)[0]
    for stale in folder.parent.glob(f"{stem}-*"):  # exports of this folder's earlier contents
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    _drop_orphans(folder.parent)


def _drop_orphans(exports: Path) -> None:
    """Remove exports whose model folder is gone: nothing can load them (the tokenizer is read from
    there), and a model used from short-lived paths would otherwise leave half a gigabyte each time."""
    for other in exports.iterdir():
        if other.name.startswith(".") or not other.is_dir():
            continue
        try:
            source = json.loads((other / META).read_text(encoding="utf-8"))["source"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours to judge
        if not Path(source).is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _export(model_dir: Path, out: Path) -> None:
    """Load the model with the library, export it, check the tokenizer, record the reference; write export.json last."""
    from rag.encoder.library import LibraryEncoder, load_library
    from rag.encoder.tokens import TokenBatcher

    model = load_library(str(model_dir), model_dir.name, threads=0)
    module, inputs = _graph(model)
    tokenizer = model.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    max_length = int(model.max_seq_length)
    _check_tokens(model, TokenBatcher(model_dir / "tokenizer.json", max_length, pad_id))
    _onnx_export(module, model, inputs, out / FILES["fp32"])
    library = LibraryEncoder(model)
    sizes = {"fp32": (out / FILES["fp32"]).stat().st_size}
    if _write_q4(out / FILES["fp32"], out / FILES["q4"]):
        sizes["q4"] = (out / FILES["q4"]).stat().st_size
    meta = {"version": EXPORT_VERSION, "source": str(model_dir.resolve()), "inputs": list(inputs),
            "max_length": max_length, "pad_id": int(pad_id), "dimension": library.dimension,
            "prompts": library.prompts, "probes": list(PROBES), "reference": library.reference.tolist(),
            "sizes": sizes, "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (out / META).write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")


def _graph(model):
    """A torch module from token ids to the sentence embedding, and the ids it takes."""
    import torch

    first, rest = model[0], list(model)[1:]
    transformer = getattr(first, "auto_model", None)
    if transformer is None:
        raise ModelError(f"the model's first module ({type(first).__name__}) is not a transformer; {_TORCH_HINT}")
    if any(getattr(m, "include_prompt", True) is False for m in rest):
        raise ModelError(f"the model pools without its prompt tokens, which the export does not do; {_TORCH_HINT}")
    inputs = tuple(k for k in _INPUTS if k in model.preprocess([PROBES[0]]))
    output_name = getattr(first, "module_output_name", "token_embeddings")

    class SentenceGraph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer.eval()
            self.rest = torch.nn.ModuleList(rest)

        def forward(self, *ids):
            features = dict(zip(inputs, ids))
            out = self.transformer(**features)
            features[output_name] = out["last_hidden_state"] if isinstance(out, dict) else out[0]
            for step in self.rest:
                features = step(features)
            return features["sentence_embedding"]

    return SentenceGraph().eval(), inputs


def _onnx_export(module, model, inputs: tuple[str, ...], path: Path) -> None:
    import torch

    example = model.preprocess([PROBES[0], PROBES[2]])
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"sentence_embedding": {0: "batch"}}
    library_log = logging.getLogger("transformers")
    level = library_log.level
    try:
        # The TorchScript exporter's deprecation notice and tracer warnings are expected; the
        # runtimes check the result against the library on the probes anyway.
        library_log.setLevel(logging.ERROR)
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, tuple(example[n] for n in inputs), str(path), dynamo=False,
                              input_names=list(inputs), output_names=["sentence_embedding"], dynamic_axes=axes,
                              opset_version=17, do_constant_folding=True)
    except Exception as e:  # exporting arbitrary models fails in many ways
        raise ModelError(f"cannot export the model to ONNX ({type(e).__name__}: {e}); {_TORCH_HINT}") from e
    finally:
        library_log.setLevel(level)


def _check_tokens(model, batcher) -> None:
    """The ``tokenizers`` ids equal the library's, prompts and truncation included."""
    prompts = {"", *(p for p in (getattr(model, "prompts", {}) or {}).values() if p)}
    for prompt in sorted(prompts):
        for text in PROBES:
            expected = model.preprocess([text], prompt=prompt or None)["input_ids"][0].tolist()
            if batcher.ids([prompt + text])[0] != expected:
                raise ModelError(f"the model folder's tokenizer.json does not reproduce the library's token ids "
                                 f"for {prompt + text[:20]!r}; {_TORCH_HINT}")


def _write_q4(fp32: Path, path: Path) -> bool:
    import onnx

    from rag.encoder.q4 import pack_weights

    proto = onnx.load(str(fp32))
    if pack_weights(proto) == 0:
        return False
    onnx.save(proto, str(path))
    return True


def ensure_int8(exported: Exported) -> Path:
    """The dynamically quantised graph, made on first use (it changes rankings: never a default)."""
    path = exported.file("int8")
    if path.is_file():
        return path
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with exclusive(exported.folder.parent / f".{exported.folder.name}.lock"):
        if not path.is_file():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                quantize_dynamic(str(exported.file("fp32")), str(tmp), weight_type=QuantType.QInt8)
                os.replace(tmp, path)
            except OSError as e:
                raise ModelError(f"{path}: cannot write the int8 model ({e}); check permissions and free space") from e
            finally:
                tmp.unlink(missing_ok=True)
    return path
