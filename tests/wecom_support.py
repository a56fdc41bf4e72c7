"""The WeCom tests' own side of the protocol: published vectors, an independent sealer, a fake group robot.

``Peer`` plays WeCom: it encrypts and signs callbacks and opens the service's replies with
``cryptography`` directly, not with ``wecom.crypto``, so a bug there cannot cancel itself
out. The vector values are copied from ../shared/wecom/vectors.json as data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# Set A: WeCom's official Python sample (self-built app, receive id = corp id).
A_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
A_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
A_CORP_ID = "ww1436e0e65a779aee"
A_VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
A_VERIFY_PLAINTEXT = "1288432023552776189"
A_MESSAGE_QUERY = {"msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "timestamp": "1476422779",
                   "nonce": "1597212914"}
A_MESSAGE_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNsh"
    "w2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010w"
    "sHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjU"
    "QVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
A_MESSAGE_PLAINTEXT = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

# Set C: the wechatpy test suite; its keys serve the bot, whose receive id is "" (not C's).
C_TOKEN = "123456"
C_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
C_RECEIVE_ID = "wx49f0ab532d5d035a"
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

# The published samples date from 2014 and 2016: the window must reach back to the oldest
# one (plus a day) for them to verify at all. Fixed once per test process.
OLDEST_VECTOR = int(C_VERIFY["timestamp"])
REPLAY_WINDOW = int(time.time()) - OLDEST_VECTOR + 86_400

# The one environment of every WeCom server test: app on set A, bot on set C's keys.
SERVER_ENV = {
    "POLICY_QA_WECOM_TOKEN": A_TOKEN,
    "POLICY_QA_WECOM_AES_KEY": A_AES_KEY,
    "POLICY_QA_WECOM_CORP_ID": A_CORP_ID,
    "POLICY_QA_WECOM_BOT_TOKEN": C_TOKEN,
    "POLICY_QA_WECOM_BOT_AES_KEY": C_AES_KEY,
    "POLICY_QA_WECOM_REPLAY_WINDOW": str(REPLAY_WINDOW),
}


@dataclass(frozen=True)
class Peer:
    """WeCom's side of one channel: seals callbacks and opens replies."""

    token: str
    aes_key: str
    receive_id: str

    def _cipher(self) -> Cipher:
        key = base64.b64decode(self.aes_key + "=")
        return Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, encrypt])).encode()).hexdigest()

    def encrypt(self, message: str, receive_id: str | None = None, prefix: bytes | None = None) -> str:
        body = message.encode()
        rid = (self.receive_id if receive_id is None else receive_id).encode()
        plain = (prefix or secrets.token_bytes(16)) + struct.pack(">I", len(body)) + body + rid
        n = 32 - len(plain) % 32
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain + bytes([n]) * n) + enc.finalize()).decode()

    def decrypt(self, encrypt: str) -> tuple[str, str]:
        """(message, receive id) of an encrypted field."""
        dec = self._cipher().decryptor()
        plain = dec.update(base64.b64decode(encrypt)) + dec.finalize()
        plain = plain[: -plain[-1]]
        (size,) = struct.unpack(">I", plain[16:20])
        return plain[20 : 20 + size].decode(), plain[20 + size :].decode()

    def query(self, encrypt: str, timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
        """The signed query string of a callback carrying ``encrypt``."""
        ts = str(int(time.time())) if timestamp is None else timestamp
        nonce = secrets.token_hex(5) if nonce is None else nonce
        return {"msg_signature": self.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}

    def verify_query(self, echo: str, timestamp: str | None = None) -> dict[str, str]:
        """A URL-verification query whose echostr decrypts to ``echo``."""
        echostr = self.encrypt(echo)
        return {**self.query(echostr, timestamp), "echostr": echostr}

    def open_reply(self, encrypt: str, signature: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Check a reply's signature, then decrypt it to (message, receive id)."""
        assert signature == self.sign(timestamp, nonce, encrypt), "reply signature does not verify"
        return self.decrypt(encrypt)


APP = Peer(A_TOKEN, A_AES_KEY, A_CORP_ID)
BOT = Peer(C_TOKEN, C_AES_KEY, "")


class Robot(ThreadingHTTPServer):
    """A fake group-robot webhook on 127.0.0.1: records posted JSON, answers a preset reply."""

    def __init__(self, reply: dict | None = None, status: int = 200, key: str = "x") -> None:
        super().__init__(("127.0.0.1", 0), _RobotHandler)
        self.key = key  # a recognisable key lets a test check that error messages do not leak it
        self.posted: list[tuple[str, dict]] = []
        self.status = status
        self.reply = json.dumps(reply or {"errcode": 0, "errmsg": "ok"}).encode()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/cgi-bin/webhook/send?key={self.key}"

    def __enter__(self) -> Robot:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()


class _RobotHandler(BaseHTTPRequestHandler):
    server: Robot

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posted.append((self.path, json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.reply)))
        self.end_headers()
        self.wfile.write(self.server.reply)

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass
