"""The application database: organisations, credentials, runs and artifacts."""
