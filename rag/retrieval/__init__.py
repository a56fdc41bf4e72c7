"""Stage 3, vectors and words → ranked chunks: query normalisation, BM25, FAISS, fusion, the index store."""
