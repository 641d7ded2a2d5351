"""ValidateSettings' handler answers CloudFormation at the request's pre-signed URL, valid or not, and even
when the validation itself crashes (CloudFormation would otherwise wait an hour for an answer)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.paths import EVENTS

URL = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/signed?X-Amz-Signature=x"
SAMPLE = EVENTS / "validate_settings.json"


@pytest.fixture
def app(load_handler: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "validate-settings")
    return load_handler("validate_settings")


@pytest.fixture
def sent(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the handler PUTs: the request's method, URL, headers and JSON body."""
    requests: list[dict[str, Any]] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return b""

    def urlopen(request: Any, timeout: float) -> Answer:
        requests.append(
            {
                "method": request.get_method(),
                "url": request.full_url,
                "content_type": request.get_header("Content-type"),
                "body": json.loads(request.data),
            }
        )
        return Answer()

    monkeypatch.setattr(app.urllib.request, "urlopen", urlopen)
    return requests


def _event(settings: str, request_type: str = "Create") -> dict[str, Any]:
    event = json.loads(SAMPLE.read_text())
    event["ResponseURL"] = URL
    event["RequestType"] = request_type
    event["ResourceProperties"]["Settings"] = settings
    return event


def test_the_sample_event_succeeds_and_its_answer_is_put_to_the_response_url(app, lambda_context, sent):
    app.lambda_handler(
        _event(json.loads(SAMPLE.read_text())["ResourceProperties"]["Settings"]), lambda_context
    )
    [request] = sent
    assert request["method"] == "PUT" and request["url"] == URL and request["content_type"] == ""
    assert request["body"]["Status"] == "SUCCESS"
    assert request["body"]["Data"]["SpotTraining"] == "true"
    assert request["body"]["LogicalResourceId"] == "ValidatedSettings"


def test_a_bad_setting_is_put_as_failed_with_the_nearest_key(app, lambda_context, sent):
    answer = app.lambda_handler(_event('{"alpah": 0.01}'), lambda_context)
    [request] = sent
    assert request["body"] == answer
    assert answer["Status"] == "FAILED"
    assert "unknown setting 'alpah' (did you mean 'alpha'?)" in answer["Reason"]


def test_a_crash_is_still_answered(app, lambda_context, sent, monkeypatch):
    def crash(event: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "custom_resource_response", crash)
    answer = app.lambda_handler(_event("{}"), lambda_context)
    assert sent[0]["body"]["Status"] == answer["Status"] == "FAILED"
    assert "settings validation crashed: boom" in answer["Reason"]


def test_only_an_https_response_url_is_answered(app):
    with pytest.raises(ValueError, match="must be https"):
        app.send("file:///etc/passwd", {"Status": "SUCCESS"})
