"""WeCom callback crypto against the published sample vectors (kept as data in wecom_support)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wecom.callback import verify_url
from wecom.crypto import WeComCrypto, check_timestamp, pad, parse_key, signature, unpad
from wecom.errors import PayloadError, SignatureError

from wecom_support import (
    A_AES_KEY,
    A_CORP_ID,
    A_MESSAGE_ENCRYPT,
    A_MESSAGE_PLAINTEXT,
    A_MESSAGE_QUERY,
    A_TOKEN,
    A_VERIFY,
    A_VERIFY_PLAINTEXT,
    C_AES_KEY,
    C_KAT_ENCRYPT,
    C_KAT_NONCE,
    C_KAT_PLAINTEXT,
    C_KAT_PREFIX,
    C_KAT_SIGNATURE,
    C_KAT_TIMESTAMP,
    C_RECEIVE_ID,
    C_TOKEN,
    C_VERIFY,
    C_VERIFY_PLAINTEXT,
)

# Set A: WeCom's official Python sample; set C: the wechatpy test suite, with its own receive id.
A = {"token": A_TOKEN, "encoding_aes_key": A_AES_KEY, "receive_id": A_CORP_ID}
C = {"token": C_TOKEN, "encoding_aes_key": C_AES_KEY, "receive_id": C_RECEIVE_ID}
A_MESSAGE = {**A_MESSAGE_QUERY, "encrypt": A_MESSAGE_ENCRYPT}


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
