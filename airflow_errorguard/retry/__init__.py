"""Backoff, in-process retrying and the Airflow retry policy."""
