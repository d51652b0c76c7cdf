"""The law and standard catalog: documents, editions, provisions, sanctions, and
citations as they read on a given day."""
