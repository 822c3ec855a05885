"""Tools around the book: bench (``python -m cnnlib.tools.bench``), timing, source (show_source)."""
