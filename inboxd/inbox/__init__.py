"""The inbox tree: listing, readiness, watching and every filesystem mutation."""
