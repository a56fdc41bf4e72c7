"""Stage 1, documents → structure → chunks: reading files, cleaning, numbering, de-duplication,
measures and their units, document identity, chunking, and the outline views."""
