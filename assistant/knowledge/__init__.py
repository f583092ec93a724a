"""The knowledge base: the document model (`documents`), the loaders that turn files into documents (`loaders`),
the embedding models and their cache (`embeddings`), the Chroma store and SQLite docstore (`store`), and the
crash-safe incremental ingestion pipeline (`ingest`)."""
