"""Airflow listeners registered by errorguard's plugin."""
