"""The Dagster layer: resources, ops and the report job around the domain modules.

Op bodies import the domain modules they need when they run, so a run worker process starts
without paying for pandas, pyarrow, duckdb or SQLAlchemy before the first op.
"""
