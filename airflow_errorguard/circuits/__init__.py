"""Circuits inside Airflow: registry, task outcomes, the rules-file section."""
