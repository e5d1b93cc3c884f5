"""
Knowledge added for the API SDKs of ingestion pipelines (corpus family ``ingestion``): Notion's
error ``code`` read as a service code (it outranks the HTTP status it came with), the Hugging Face
Hub's repository error classes, and the settings-reading call sites of SDK clients (credentials
checked before sending, docker's ``DOCKER_HOST``), with cached == uncached across all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import anthropic
import docker
import httpx
import huggingface_hub.utils._http as hub_http
import pytest
import simple_salesforce
from docker.errors import DockerException
from huggingface_hub.utils import hf_raise_for_status
from hypothesis import given
from hypothesis import strategies as st
from notion_client.errors import build_request_error

from airflow_errorguard.classification.call_site import call_site
from airflow_errorguard.classification.class_plan import class_plan
from airflow_errorguard.classification.classifier import Classifier
from airflow_errorguard.classification.model import ErrorCategory
from tests.unit.classification.test_fuzz import FUZZ
from tests.unit.helpers import assert_cached_equals_uncached, raised

pytestmark = pytest.mark.unit

T, D, C, U = (
    ErrorCategory.TRANSIENT,
    ErrorCategory.DATA,
    ErrorCategory.CONFIGURATION,
    ErrorCategory.UNKNOWN,
)


def _notion(status: int, code: str) -> BaseException:
    body = f'{{"object": "error", "status": {status}, "code": "{code}", "message": "m"}}'
    request = httpx.Request("GET", "https://api.notion.com/v1/pages/x")
    return build_request_error(httpx.Response(status, text=body, request=request), body)


@pytest.mark.parametrize(
    ("status", "code", "want"),
    [
        (409, "conflict_error", T),  # HTTP 409 alone reads as data
        (400, "validation_error", D),
        (400, "invalid_request_url", C),
        (400, "invalid_json", C),
        (401, "unauthorized", C),
        (403, "restricted_resource", C),
        (404, "object_not_found", C),
        (429, "rate_limited", T),
        (503, "service_unavailable", T),
        (500, "internal_server_error", T),
    ],
)
def test_a_notion_code_decides_over_its_status(status: int, code: str, want: ErrorCategory) -> None:
    verdict = Classifier(cache_size=0).classify(_notion(status, code))
    assert verdict.category is want and verdict.rule == f"builtin:code:notion:{code}"
    assert verdict.signals["cloud_code"] == f"notion:{code}"


def test_an_unknown_notion_code_leaves_the_status_to_decide() -> None:
    verdict = Classifier(cache_size=0).classify(_notion(503, "some_future_code"))
    assert verdict.category is T and verdict.rule == "builtin:http:503"


#: The HTTP client module the installed huggingface_hub uses (httpx in 1.x, its httpx2 fork in 2.x).
HUB_HTTPX: Any = getattr(hub_http, "httpx2", None) or hub_http.httpx


def _hub(status: int, error_code: str) -> BaseException:
    request = HUB_HTTPX.Request("GET", "https://huggingface.co/api/models/corpus/model")
    response = HUB_HTTPX.Response(status, headers={"X-Error-Code": error_code}, request=request)
    return raised(lambda: hf_raise_for_status(response))


@pytest.mark.parametrize(
    ("status", "error_code", "want"),
    [(404, "RepoNotFound", C), (401, "RepoNotFound", C), (404, "RevisionNotFound", C), (403, "GatedRepo", C)],
)
def test_hub_repository_errors_are_configuration(status: int, error_code: str, want: ErrorCategory) -> None:
    exc = _hub(status, error_code)
    assert Classifier(cache_size=0).classify(exc).category is want


def _no_anthropic_key() -> None:
    saved = os.environ.pop("ANTHROPIC_API_KEY", None)
    try:
        client = anthropic.Anthropic(api_key=None, base_url="http://127.0.0.1:9", max_retries=0)
        client.messages.create(model="m", max_tokens=1, messages=[])
    finally:
        if saved is not None:
            os.environ["ANTHROPIC_API_KEY"] = saved


def _as_user_code(fn: Callable[[], Any]) -> Callable[[], Any]:
    """User code raising the same class with the same message as *fn*'s SDK call site."""
    site = raised(fn)

    def record() -> None:
        raise type(site)(*site.args)

    return record


#: (call site, the same class and message raised by user code, the user code's verdict)
SITES: list[tuple[str, Callable[[], Any], ErrorCategory]] = [
    ("salesforce credentials", lambda: simple_salesforce.Salesforce(instance_url="https://localhost"), D),
    ("anthropic credentials", _no_anthropic_key, D),
    ("docker host scheme", lambda: docker.DockerClient(base_url="corpus://nowhere"), U),
    ("docker host port", lambda: docker.DockerClient(base_url="tcp://127.0.0.1:x"), C),
]


@pytest.mark.parametrize(("name", "site", "elsewhere"), SITES, ids=[s[0] for s in SITES])
def test_an_sdk_settings_call_site_makes_configuration(
    name: str, site: Callable[[], Any], elsewhere: ErrorCategory
) -> None:
    at_site, on_record = raised(site), raised(_as_user_code(site))
    assert type(at_site) is type(on_record) and str(at_site) == str(on_record), name
    assert call_site(at_site) is not None and call_site(on_record) is None
    verdict = Classifier(cache_size=0).classify(at_site)
    assert verdict.category is C and verdict.rule.startswith("builtin:call-site:")
    assert Classifier(cache_size=0).classify(on_record).category is elsewhere


def test_dockers_base_error_keeps_its_quick_key() -> None:
    plan = class_plan(DockerException)
    assert plan.quick and plan.call_site_sensitive


MAKERS: list[tuple[Callable[[], BaseException], ErrorCategory]] = [
    *[
        (lambda site=site: raised(site), C)  # type: ignore[misc]
        for _, site, _ in SITES
    ],
    *[
        (lambda site=site: raised(_as_user_code(site)), elsewhere)  # type: ignore[misc]
        for _, site, elsewhere in SITES
    ],
    (lambda: _notion(409, "conflict_error"), T),
    (lambda: _notion(409, "some_future_code"), D),
    (lambda: _notion(400, "validation_error"), D),
    (lambda: _notion(400, "invalid_request_url"), C),
    (lambda: _hub(404, "RepoNotFound"), C),
    (lambda: _hub(404, "EntryNotFound"), D),
]


@FUZZ
@given(order=st.lists(st.sampled_from(range(len(MAKERS))), min_size=1, max_size=12))
def test_cached_equals_uncached(order: list[int]) -> None:
    """Fails if the call site or the Notion code is dropped from the quick key or the chain key."""
    assert_cached_equals_uncached(MAKERS, order)
