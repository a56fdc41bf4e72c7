"""The ONNX export in POLICY_QA_HOME: made once, atomically; a missing or damaged one is made again.

Uses a private copy of the converted model so the shared test home's export is never damaged;
exporting it takes several seconds, so those tests are marked slow.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from rag.encoder.q4 import exact_blocks
from rag.encoder.reference import TOLERANCE


@pytest.fixture(scope="module")
def private(tmp_path_factory, model_dir):
    """A copy of the converted model and an empty home, exported once for this module."""
    from rag.encoder.export import ensure_export

    root = tmp_path_factory.mktemp("export")
    model = root / "model"
    shutil.copytree(model_dir, model)
    home = root / "home"
    return model, home, ensure_export(model, home)


def _load(model, home, precision=None):
    from rag.encoder.embedding import load_embedder

    return load_embedder(str(model), home, backend="onnx", precision=precision)


@pytest.mark.slow
def test_the_export_records_prompts_tokenizer_settings_and_the_reference(private, embedder):
    model, home, exported = private
    meta = json.loads((exported.folder / "export.json").read_text(encoding="utf-8"))
    assert exported.folder.parent == home / "models" / "exports"
    assert meta["prompts"]["query"] == "query: " and meta["max_length"] == 512
    assert set(meta["sizes"]) == {"fp32", "q4"}
    # the 4-bit file holds the same weights in an eighth of the space, plus the float32 rest
    assert (exported.folder / "model-q4.onnx").stat().st_size < (exported.folder / "model.onnx").stat().st_size / 5
    torch_probes = embedder.encode(meta["probes"], "")
    assert np.abs(np.asarray(meta["reference"], dtype=np.float32) - torch_probes).max() < TOLERANCE


@pytest.mark.slow
def test_a_truncated_export_is_made_again(private):
    model, home, exported = private
    path = exported.file("q4")
    path.write_bytes(path.read_bytes()[:1000])
    # exports of a model folder that is gone (a copy in a temporary folder) go with the next export;
    # one whose folder is there, and a folder without a record, stay
    exports = exported.folder.parent
    for name, source in (("gone-1-2", model.parent / "deleted"), ("kept-1-2", model)):
        (exports / name).mkdir()
        (exports / name / "export.json").write_text(json.dumps({"source": str(source)}), encoding="utf-8")
    (exports / "unrecorded").mkdir()
    embedder = _load(model, home)
    assert embedder.info.precision == "q4" and embedder.deviation < TOLERANCE
    assert path.stat().st_size > 1000
    assert sorted(p.name for p in exports.iterdir() if not p.name.startswith(".")) == sorted(
        [exported.folder.name, "kept-1-2", "unrecorded"])


@pytest.mark.slow
def test_an_export_damaged_in_place_is_made_again(private, caplog):
    model, home, exported = private
    path = exported.file("fp32")
    data = bytearray(path.read_bytes())
    data[:4096] = bytes(4096)  # same size, so only loading it shows the damage
    path.write_bytes(bytes(data))
    embedder = _load(model, home, "fp32")
    assert embedder.deviation < TOLERANCE
    assert "exporting the model again" in caplog.text


@pytest.mark.slow
def test_a_model_replaced_in_place_gets_a_new_export(private, tmp_path):
    from rag.encoder.export import export_folder

    model, home, exported = private
    (model / "modules.json").touch()  # same folder, newer files: the old export is not trusted
    assert export_folder(model, home) != exported.folder


def test_a_remote_model_name_is_refused_with_the_fix(tmp_path):
    from rag.encoder.embedding import load_embedder
    from rag.errors import ModelError

    with pytest.raises(ModelError, match="POLICY_QA_BACKEND=torch"):
        load_embedder("no-such-org/no-such-model", tmp_path, backend="onnx")


def test_exact_4bit_blocks_are_recovered_bit_for_bit():
    rng = np.random.default_rng(3)
    q = rng.integers(-8, 8, size=(6, 64)).astype(np.float32)
    scales = rng.normal(0, 0.02, size=(6, 2)).astype(np.float16).astype(np.float32)
    weights = (q.reshape(6, 2, 32) * scales[..., None]).reshape(6, 64).astype(np.float32)
    weights[0, :32] = 0  # an empty block
    found = exact_blocks(weights)
    assert found is not None
    codes, found_scales = found
    rebuilt = (codes.reshape(6, 2, 32).astype(np.float32) * found_scales[..., None]).reshape(6, 64)
    assert np.array_equal(rebuilt, weights)


def test_weights_that_are_not_4bit_blocks_stay_float32():
    weights = np.random.default_rng(4).normal(size=(4, 64)).astype(np.float32)
    assert exact_blocks(weights) is None
    assert exact_blocks(weights[:, :40]) is None  # not a whole number of blocks
