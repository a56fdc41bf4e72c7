"""Stage 2, text → vectors: the embedded model's conversion and the embedder over its runtimes."""
