"""Airflow plugins shipped by errorguard."""
