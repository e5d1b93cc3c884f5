"""
errorguard's page in the Airflow UI: HTML pages and a JSON API mounted by the plugin at ``/errorguard``.

Every route depends on Airflow's authentication and asks the auth manager for the user's rights on
each record's DAG. The app is built on the first request (:mod:`~airflow_errorguard.ui.lazy`), so
importing the plugin reads no configuration and opens no database connection.
"""

from __future__ import annotations
