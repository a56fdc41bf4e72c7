"""Optional LLM generation over an OpenAI-compatible chat endpoint (placeholder)."""

from __future__ import annotations


def generator_from_settings(settings):
    """The configured generator, or None when no LLM is configured."""
    return None
