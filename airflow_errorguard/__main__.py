"""``python -m airflow_errorguard``: the ``errorguard`` command."""

from __future__ import annotations

from airflow_errorguard.cli.main import main

raise SystemExit(main())
