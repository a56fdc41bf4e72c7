"""Data files shipped with the library: the jieba domain dictionary, stop words, synonyms and the
generic question banks of the refusal gate. Kept as data so they can be edited without touching code."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
