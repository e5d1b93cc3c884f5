"""
The HTTP reads' short cuts give exactly what the general reads give: one ``Retry-After`` look-up on
header mappings that ignore case, a host kept per URL string, the request read only when the
response names no host.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import requests
import urllib3
from multidict import CIMultiDict, CIMultiDictProxy

from airflow_errorguard.classification import http_facts
from airflow_errorguard.classification.http_facts import header, host_of, request_host

pytestmark = pytest.mark.unit

CASELESS = [
    lambda: requests.structures.CaseInsensitiveDict({"retry-after": "7"}),
    lambda: httpx.Headers({"retry-after": "7"}),
    lambda: CIMultiDict({"retry-after": "7"}),
    lambda: CIMultiDictProxy(CIMultiDict({"retry-after": "7"})),
    lambda: urllib3.HTTPHeaderDict({"retry-after": "7"}),
]


@pytest.mark.parametrize("make", CASELESS)
def test_caseless_headers_are_looked_up_once(make) -> None:  # type: ignore[no-untyped-def]
    headers = make()
    assert http_facts._caseless(type(headers))
    assert header(headers, "Retry-After") == "7" == header(headers, "retry-after")
    empty = type(headers)() if not isinstance(headers, CIMultiDictProxy) else CIMultiDictProxy(CIMultiDict())
    assert header(empty, "Retry-After") is None


class Counting(dict[str, Any]):
    """A mapping that does not ignore case, counting its look-ups."""

    calls: list[str]

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.calls.append(key)
        return super().get(key, default)


def test_other_mappings_still_try_the_lower_case_name() -> None:
    headers = Counting({"retry-after": "5"})
    headers.calls = []
    assert not http_facts._caseless(Counting)
    assert header(headers, "Retry-After") == "5"
    assert headers.calls == ["Retry-After", "retry-after"]


def test_a_subclass_of_a_caseless_mapping_is_not_trusted() -> None:
    class Sub(requests.structures.CaseInsensitiveDict):  # type: ignore[type-arg]
        def get(self, key: str, default: Any = None) -> Any:
            return {"retry-after": "9"}.get(key, default)  # case matters here

    assert not http_facts._caseless(Sub)
    assert header(Sub(), "Retry-After") == "9"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://user@api.example.com:8443/v1/x", "api.example.com:8443"),
        ("https:///no-host", ""),
        ("no scheme at all", None),
    ],
)
def test_a_url_string_gives_the_same_host_every_time(url: str, host: str | None) -> None:
    http_facts._HOSTS.clear()
    holder = SimpleNamespace(url=url)
    assert request_host((holder,)) == host  # computed
    assert request_host((holder,)) == host  # kept
    fresh = "".join(list(url))  # an equal string, another object
    assert request_host((SimpleNamespace(url=fresh),)) == host


def test_the_request_is_read_only_when_the_response_names_no_host() -> None:
    read: list[str] = []

    def get(name: str) -> Any:
        read.append(name)
        return SimpleNamespace(url="https://request.example/x") if name == "request" else None

    assert host_of(SimpleNamespace(url="https://response.example/y"), get) == "response.example"
    assert read == []
    assert host_of(SimpleNamespace(url="relative/path"), get) == "request.example"
    assert host_of(None, get) == "request.example"
    assert host_of(SimpleNamespace(url="https:///empty"), get) == ""  # an empty host is a host
