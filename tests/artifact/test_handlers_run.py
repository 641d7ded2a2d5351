"""Every ``events/`` sample through the built artifact: each handler, in a fresh runtime interpreter with
only boto3, the built layer and its folder on the path, against the local cloud (the stack deployed from
template.yaml into a moto server), with the environment the template gives it. Staging and assertions
are the samples' own (drift_retrain_local.demos.samples), shared with the functional tests and `sam local invoke`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.demos.samples import SAMPLE_BUCKET, SAMPLE_STACK, SAMPLES, Sample, StageContext
from drift_retrain_local.run.local_run import LOCAL_SETTINGS
from drift_retrain_local.stack.artifacts import run_handler


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(settings=LOCAL_SETTINGS, stack_name=SAMPLE_STACK) as running:
        yield running


def test_the_samples_name_the_local_stacks_bucket(cloud):
    assert cloud.stack.bucket == SAMPLE_BUCKET


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.event.removesuffix(".json") for s in SAMPLES])
def test_every_sample_runs_through_the_built_artifact(built, runtime, runtime_python, cloud, sample: Sample):
    function = cloud.stack.function(sample.logical_id)
    event = sample.load()
    staged = sample.stage(StageContext(cloud.client, cloud.stack.bucket, function.environment), event)
    environment = {
        **function.environment,
        "AWS_ENDPOINT_URL": cloud.aws.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }
    run = run_handler(
        runtime_python,
        built.functions[sample.logical_id],
        built.layer,
        runtime,
        function.handler,
        event=event,
        environment=environment,
    )
    assert run.ok, run.describe()
    sample.check(run.result, event, staged)
