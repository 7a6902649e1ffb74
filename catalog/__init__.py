"""The catalogue: the SQLite record store, the Whoosh index and its analyzers, search, exports."""
