"""Stage 4, ranked chunks → answers: quotes and refusals, the relevance gate, outline answers,
follow-ups, and optional LLM generation with its checks."""
