"""Search: heading-aware chunking and rank fusion (pure), and the hybrid retriever (a service)."""
