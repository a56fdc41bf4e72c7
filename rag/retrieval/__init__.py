"""Stage 3, vectors and words → ranked chunks: query normalisation, BM25, FAISS, fusion, the index store."""

import warnings

# setuptools is held below 81 because milvus-lite 2.5 imports pkg_resources; jieba then imports it
# too, and its deprecation notice would open every command's output with a line nobody can act on.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
