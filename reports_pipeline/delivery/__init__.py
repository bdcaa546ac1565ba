"""The deliver stage: channel definitions and one sender per channel type."""
