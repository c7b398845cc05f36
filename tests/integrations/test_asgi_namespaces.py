"""CompressionMiddleware: each caller's originals in the namespace of its credential, a bad
configuration stopping the app where the middleware is built, and no store password in its log."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from headroom import retrieve
from headroom.ccr.stores import StoreConfigError, namespace_for_credential
from headroom.integrations._compressor import credential_in_headers
from headroom.integrations.asgi import CompressionMiddleware
from headroom.markers import find_markers
from headroom.pipeline.errors import PipelineSpecError, UnknownPipelineError
from tests.integrations.test_asgi import EchoApp, chat_body, post

PASSWORD = "hunter2pass"


def tool_marker(forwarded: dict[str, Any]) -> str:
    (marker, *_) = find_markers(forwarded["messages"][4]["content"])
    return marker.hash


@pytest.mark.parametrize(
    "headers",
    [{"authorization": "Bearer sk-tenant-a"}, {"x-api-key": "sk-tenant-a"}, {"api-key": "sk-tenant-a"}],
)
def test_originals_are_kept_in_the_namespace_of_the_callers_credential(headers: dict[str, str]) -> None:
    echo = EchoApp()
    middleware = CompressionMiddleware(echo.app)
    sent = chat_body()
    post(middleware, "/v1/chat/completions", json.dumps(sent).encode(), **headers)
    ref = tool_marker(echo.last.json())
    original = sent["messages"][4]["content"]
    assert retrieve(ref, namespace=namespace_for_credential("sk-tenant-a")) == original
    assert retrieve(ref, namespace=namespace_for_credential("sk-tenant-b")) is None
    assert retrieve(ref) is None  # nor in the library's default namespace


def test_a_request_without_a_credential_is_anonymous() -> None:
    echo = EchoApp()
    sent = chat_body()
    post(CompressionMiddleware(echo.app), "/v1/chat/completions", json.dumps(sent).encode())
    assert retrieve(tool_marker(echo.last.json()), namespace="anonymous") == sent["messages"][4]["content"]


def test_the_credential_is_read_from_the_usual_headers_and_only_its_hash_is_kept() -> None:
    assert credential_in_headers([(b"Authorization", b"Bearer sk-1")]) == "Bearer sk-1"
    assert credential_in_headers([(b"x-api-key", b"sk-2")]) == "sk-2"
    assert credential_in_headers([(b"content-type", b"application/json")]) is None
    namespace = namespace_for_credential("Bearer sk-1")
    assert namespace == namespace_for_credential("sk-1") != namespace_for_credential("sk-2")
    assert namespace.startswith("key-") and "sk-1" not in namespace


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"pipeline": "no-such-pipeline"}, UnknownPipelineError),
        ({"pipeline": {"version": 1, "name": "x", "stages": {"a": {"use": "nope.v1"}}}}, PipelineSpecError),
        ({"compress_options": {"max_token": 10}}, TypeError),
        ({"compress_options": {"store": "postgres://db"}}, StoreConfigError),
    ],
)
def test_a_bad_configuration_stops_the_middleware_when_it_is_built(
    settings: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        CompressionMiddleware(EchoApp().app, **settings)


def test_a_bad_pipeline_file_stops_a_fastapi_app_at_start_up(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nname: broken\nstages:\n  a: {use: classify.v1, after: [a]}\n")
    echo = EchoApp()
    echo.app.add_middleware(CompressionMiddleware, pipeline=str(broken))
    with pytest.raises(PipelineSpecError, match="cannot run after itself"), TestClient(echo.app):
        pass  # start-up builds the middleware stack


def test_a_store_password_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    echo = EchoApp()
    url = f"redis://:{PASSWORD}@127.0.0.1:1/0?prefix=test-{uuid.uuid4().hex}"
    middleware = CompressionMiddleware(echo.app, compress_options={"store": url})
    caplog.set_level(logging.DEBUG, logger="headroom.integrations.asgi")
    sent = json.dumps(chat_body()).encode()
    for _ in range(4):  # connection failures, then the breaker's skips
        post(middleware, "/v1/chat/completions", sent)
    assert echo.last.body == sent
    messages = [record.getMessage() for record in caplog.records]
    assert any("store redis://***@127.0.0.1:1/0" in message for message in messages)
    assert PASSWORD not in caplog.text
