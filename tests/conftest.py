"""Fixtures shared across test folders: fake AWS credentials, moto, a Lambda context.

Being the top-level conftest, it also puts ``tests/`` on ``sys.path``, which makes the ``support``
package importable from every folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
from moto import mock_aws
from support.lambda_context import REGION, LambdaContext

from drift_retrain_local.cloud.server import shared_loader

# moto's mock_aws gives every test a new boto3 default session (so no client or credential leaks from one
# test into the next), and each new session re-read every service model's JSON: a third of a functional
# test's time. The models are read-only data, so every session here shares one loader and its cache.
botocore.session.create_loader = shared_loader


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, and no profile or endpoint override, so nothing can reach AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def mocked_aws(aws_credentials: None) -> Iterator[None]:
    """moto's in-process AWS for the test; clients created inside it talk to moto."""
    with mock_aws():
        yield


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


#: Test folders in the order their modules are handed out (``pytest -n 3 --dist loadscope`` gives each
#: worker whole modules in collection order): the ones that run whole workflows on a local cloud first, so
#: that the workers end together instead of one finishing a long module alone after the quick ones.
FOLDER_ORDER = ("statemachine", "statistical", "local_cloud", "artifact", "browser", "functional", "unit")


def _folder_rank(item: pytest.Item) -> int:
    parts = item.path.relative_to(Path(__file__).parent).parts
    return FOLDER_ORDER.index(parts[0]) if parts and parts[0] in FOLDER_ORDER else len(FOLDER_ORDER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heaviest folders first (a stable sort: each module's tests stay together and in order)."""
    items.sort(key=_folder_rank)
