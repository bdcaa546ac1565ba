"""The report catalogue: curated, parameterised report definitions per persona."""
