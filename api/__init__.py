"""HTTP service: the JSON API, the OpenAI-compatible endpoint, WeCom callbacks and the chat UI."""
