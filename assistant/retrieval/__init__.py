"""Retrieval: from a question to ranked documents. The retriever owns query understanding (places, SDGs, kinds,
follow-ups), runs the exact dense scan and BM25 over a snapshot of the store, fuses and groups them by document,
applies the facet boosts and picks each hit's snippet and the refusal signals."""
