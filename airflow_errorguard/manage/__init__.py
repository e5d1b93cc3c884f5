"""
What the UI and the CLI share: quarantine filters, row serialisation, export, circuit control.

No web code here: the UI (:mod:`airflow_errorguard.ui`) adds auth and HTTP, the CLI
(:mod:`airflow_errorguard.cli`) adds argument parsing and output.
"""
