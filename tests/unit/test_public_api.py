"""The lazily imported public names of ``airflow_errorguard``."""

from __future__ import annotations

import pytest

import airflow_errorguard
from airflow_errorguard.classification.model import Classification, ErrorCategory

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "name", [n for n in airflow_errorguard.__all__ if n not in ("__version__", "classify")]
)
def test_exported_names_resolve_to_their_objects(name: str) -> None:
    obj = getattr(airflow_errorguard, name)
    assert obj.__name__ == name
    assert obj.__module__.startswith("airflow_errorguard.")


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        airflow_errorguard.nope  # noqa: B018


def test_version() -> None:
    assert isinstance(airflow_errorguard.__version__, str) and airflow_errorguard.__version__.count(".") == 2


def test_top_level_classify_is_the_function() -> None:
    from airflow_errorguard import classify

    result = classify(TimeoutError("read timed out"))
    assert isinstance(result, Classification)
    assert result.category is ErrorCategory.TRANSIENT
