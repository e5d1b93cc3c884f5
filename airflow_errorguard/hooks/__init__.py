"""Airflow hooks of errorguard."""
