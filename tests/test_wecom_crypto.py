"""WeCom callback crypto against the published sample vectors (copied here as data)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from rag.errors import PayloadError, SignatureError
from wecom.callback import verify_url
from wecom.crypto import WeComCrypto, check_timestamp, pad, parse_key, signature, unpad

# Set A: WeCom's official Python sample (self-built app, receive id = corp id).
A = {
    "token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "encoding_aes_key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "receive_id": "ww1436e0e65a779aee",
}
A_VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
A_VERIFY_PLAINTEXT = "1288432023552776189"
A_MESSAGE = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
    "encrypt": (
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNsh"
        "w2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010w"
        "sHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjU"
        "QVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
    ),
}
A_MESSAGE_PLAINTEXT = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

# Set C: the wechatpy test suite, including an encryption known answer with a fixed prefix.
C = {
    "token": "123456",
    "encoding_aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
    "receive_id": "wx49f0ab532d5d035a",
}
C_VERIFY = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
}
C_VERIFY_PLAINTEXT = "5927782489442352469"
C_KAT_PREFIX = b"1234567890123456"
C_KAT_TIMESTAMP = "1411525903"
C_KAT_NONCE = "461056294"
C_KAT_PLAINTEXT = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
    "<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
)
C_KAT_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtOb"
    "vesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8"
    "NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O"
    "5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)
C_KAT_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"


def crypto(vectors: dict, replay_window: int | None = None) -> WeComCrypto:
    return WeComCrypto.create(vectors["token"], vectors["encoding_aes_key"], vectors["receive_id"], replay_window)


def open_args(callback: dict) -> tuple[str, str, str, str]:
    payload = callback.get("encrypt") or callback["echostr"]
    return callback["msg_signature"], callback["timestamp"], callback["nonce"], payload


def raw_encrypt(vectors: dict, plaintext: bytes, padded: bool = False) -> str:
    """Encrypt arbitrary bytes with the vector key, bypassing our own framing."""
    key = parse_key(vectors["encoding_aes_key"])
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    data = plaintext if padded else pad(plaintext)
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


@pytest.mark.parametrize(
    ("vectors", "callback", "plaintext"),
    [(A, A_VERIFY, A_VERIFY_PLAINTEXT), (C, C_VERIFY, C_VERIFY_PLAINTEXT)],
    ids=["A", "C"],
)
def test_url_verification_returns_echostr_plaintext(vectors, callback, plaintext):
    assert verify_url(crypto(vectors), callback) == plaintext


def test_url_verification_restores_plus_turned_into_space():
    params = dict(A_VERIFY, echostr=A_VERIFY["echostr"].replace("+", " "))
    assert verify_url(crypto(A), params) == A_VERIFY_PLAINTEXT


def test_decrypts_message_of_set_a():
    assert crypto(A).open(*open_args(A_MESSAGE)) == A_MESSAGE_PLAINTEXT


def test_signature_of_set_a_message():
    m = A_MESSAGE
    assert signature(A["token"], m["timestamp"], m["nonce"], m["encrypt"]) == m["msg_signature"]


def test_encryption_known_answer_of_set_c():
    sealed = crypto(C).seal(C_KAT_PLAINTEXT, C_KAT_NONCE, C_KAT_TIMESTAMP, random_prefix=C_KAT_PREFIX)
    assert sealed.encrypt == C_KAT_ENCRYPT
    assert sealed.signature == C_KAT_SIGNATURE
    assert (sealed.timestamp, sealed.nonce) == (C_KAT_TIMESTAMP, C_KAT_NONCE)


def test_random_prefix_makes_each_encryption_different_but_decryptable():
    c = crypto(C)
    first, second = c.encrypt("同一条消息"), c.encrypt("同一条消息")
    assert first != second
    assert c.decrypt(first) == c.decrypt(second) == "同一条消息"


@pytest.mark.parametrize("field", ["msg_signature", "timestamp", "nonce", "encrypt"])
def test_wrong_signature_is_refused(field):
    callback = dict(A_MESSAGE)
    callback[field] = "0" * 40 if field == "msg_signature" else callback[field][:-2] + "AA"
    with pytest.raises(SignatureError, match="msg_signature"):
        crypto(A).open(*open_args(callback))


def test_signature_is_checked_before_anything_is_decrypted():
    # Garbage that could not be decrypted still fails as a signature error first.
    with pytest.raises(SignatureError):
        crypto(A).open("0" * 40, "1476422779", "1", "not base64 at all!")


def signed(vectors: dict, encrypt: str, timestamp: str = "1476422779", nonce: str = "42") -> tuple:
    return signature(vectors["token"], timestamp, nonce, encrypt), timestamp, nonce, encrypt


def test_bad_base64_is_a_payload_error():
    with pytest.raises(PayloadError, match="not base64"):
        crypto(A).open(*signed(A, "@@@not-base64@@@"))


def test_ciphertext_not_a_whole_number_of_blocks_is_a_payload_error():
    with pytest.raises(PayloadError, match="AES blocks"):
        crypto(A).open(*signed(A, base64.b64encode(b"x" * 20).decode()))


def test_tampered_ciphertext_gives_bad_padding():
    raw = bytearray(base64.b64decode(A_MESSAGE["encrypt"]))
    raw[-1] ^= 0x55  # the last block decrypts to garbage, so its padding byte is wrong
    with pytest.raises(PayloadError, match="padding"):
        crypto(A).open(*signed(A, base64.b64encode(bytes(raw)).decode()))


@pytest.mark.parametrize("value", [0, 33, 200])
def test_padding_value_outside_1_to_32_is_refused(value):
    block = b"\x00" * 31 + bytes([value])
    with pytest.raises(PayloadError, match=f"padding value {value}"):
        crypto(A).open(*signed(A, raw_encrypt(A, block, padded=True)))


def test_padding_bytes_must_all_match():
    assert unpad(b"abc" + b"\x03" * 3) == b"abc"
    with pytest.raises(PayloadError, match="padding value 3"):
        unpad(b"abc" + b"\x01\x03\x03")


def test_padding_is_to_32_byte_blocks():
    assert len(pad(b"")) == 32 and pad(b"")[-1] == 32
    assert len(pad(b"x" * 31)) == 32 and pad(b"x" * 31)[-1] == 1
    assert len(pad(b"x" * 32)) == 64


def test_length_field_beyond_the_message_is_a_payload_error():
    plain = b"R" * 16 + struct.pack(">I", 9999) + b"hello" + A["receive_id"].encode()
    with pytest.raises(PayloadError, match="length field 9999"):
        crypto(A).open(*signed(A, raw_encrypt(A, plain)))


def test_plaintext_shorter_than_header_is_a_payload_error():
    with pytest.raises(PayloadError, match="shorter than its header"):
        crypto(A).open(*signed(A, raw_encrypt(A, b"short")))


def test_receive_id_mismatch_is_a_signature_error():
    other = WeComCrypto.create(A["token"], A["encoding_aes_key"], "ww-another-corp", None)
    with pytest.raises(SignatureError, match="receive id 'ww1436e0e65a779aee'"):
        other.open(*open_args(A_MESSAGE))


def test_empty_receive_id_round_trip_as_the_bot_uses():
    bot = WeComCrypto.create(A["token"], A["encoding_aes_key"], "", None)
    assert bot.decrypt(bot.encrypt('{"msgtype": "text"}')) == '{"msgtype": "text"}'
    with pytest.raises(SignatureError, match="receive id"):
        bot.open(*open_args(A_MESSAGE))


def test_timestamp_inside_the_window_is_accepted():
    now = int(A_MESSAGE["timestamp"]) + 599
    assert crypto(A, replay_window=600).open(*open_args(A_MESSAGE), now=now) == A_MESSAGE_PLAINTEXT


@pytest.mark.parametrize("offset", [601, -601])
def test_timestamp_outside_the_window_is_refused(offset):
    now = int(A_MESSAGE["timestamp"]) + offset
    with pytest.raises(SignatureError, match="1476422779 is outside the 600 s replay window"):
        crypto(A, replay_window=600).open(*open_args(A_MESSAGE), now=now)


def test_replay_window_is_configurable_and_applies_to_url_verification():
    now = int(A_VERIFY["timestamp"]) + 100
    assert verify_url(crypto(A, replay_window=120), A_VERIFY, now=now) == A_VERIFY_PLAINTEXT
    with pytest.raises(SignatureError, match="replay window"):
        verify_url(crypto(A, replay_window=60), A_VERIFY, now=now)


def test_old_vectors_fail_against_the_real_clock_with_the_default_window():
    with pytest.raises(SignatureError, match="replay window"):
        WeComCrypto.create(A["token"], A["encoding_aes_key"], A["receive_id"]).open(*open_args(A_MESSAGE))


def test_non_numeric_timestamp_is_refused():
    with pytest.raises(SignatureError, match="'soon' is not an integer"):
        check_timestamp("soon", 600, now=0)


@pytest.mark.parametrize("key", ["short", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhU", "!" * 43])
def test_bad_encoding_aes_key_names_its_length_not_its_value(key):
    with pytest.raises(ValueError, match=f"length {len(key)}|bytes") as info:
        parse_key(key)
    assert key not in str(info.value)


def test_repr_does_not_show_the_secrets():
    text = repr(crypto(A))
    assert A["token"] not in text and "key=" not in text and A["receive_id"] in text
