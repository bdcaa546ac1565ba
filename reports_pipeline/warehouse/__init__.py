"""The DuckDB warehouse: one table per semantic source, stored ordered by organisation and time."""
