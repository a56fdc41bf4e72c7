"""The ``policy-qa`` command group and what its commands share.

Only the CLI and the API/UI entry points read settings; library errors become one-line
messages here, with a non-zero exit code.
"""

from __future__ import annotations

import json
from functools import wraps

import click
from pydantic import ValidationError

from rag.errors import PolicyQAError
from rag.settings import get_settings


def friendly(fn):
    """Turn library errors and bad settings into one-line CLI errors (exit 1)."""
    @wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PolicyQAError as e:
            raise click.ClickException(f"{type(e).__name__}: {e}") from e
        except ValidationError as e:  # a POLICY_QA_* variable out of range or of the wrong type
            problems = "; ".join(f"POLICY_QA_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in e.errors())
            raise click.ClickException(f"invalid setting: {problems}") from e
    return run


def load_pipeline(load: bool = True):
    """The configured pipeline; with ``load``, its index built when missing and opened."""
    from rag.pipeline import Pipeline, PipelineConfig

    pipeline = Pipeline(PipelineConfig.from_settings(get_settings()))
    if load:
        pipeline.ensure_index()
    return pipeline


def dump(obj, indent: int | None = None) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent)


@click.group()
@click.version_option(package_name="policy-qa")
def main() -> None:
    """Question answering over Chinese policy text (政策问答)."""
