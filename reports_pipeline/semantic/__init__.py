"""The semantic layer: whitelisted sources with typed dimensions and metrics."""
