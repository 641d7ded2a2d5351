"""The local cloud in one context manager: embedded AWS + the template's stack + in-process Lambdas + events."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from drift_retrain_local.cloud.api_faults import ApiFaultInjector
from drift_retrain_local.cloud.async_invoke import SqsDestinations
from drift_retrain_local.cloud.events import Delivery, EventRouter
from drift_retrain_local.cloud.lambdas import LambdaRuntime
from drift_retrain_local.cloud.server import EmbeddedAws
from drift_retrain_local.sagemaker.failures import FailureInjector
from drift_retrain_local.sagemaker.service import LocalSageMaker, LocalSageMakerSettings
from drift_retrain_local.seams import (
    check_all,
    lambda_invoke,
    parallel,
    s3_keys,
    sagemaker,
    sfn_callbacks,
    sfn_child_executions,
    sfn_clock,
    sfn_distributed_map,
    sfn_parameters,
    sfn_speed,
    sfn_variables,
    sns_signing,
)
from drift_retrain_local.stack.deploy import DeployedStack, deploy_stack
from drift_retrain_local.stack.template import DEFAULT_REGION, DEFAULT_STACK_NAME, StackTemplate

__all__ = ["REPOSITORY_TEMPLATE", "LocalCloud", "local_cloud"]

#: ``template.yaml`` of the repository this package lives in.
REPOSITORY_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


@dataclass
class LocalCloud:
    """A running local cloud: clients via :attr:`aws`, resources via :attr:`stack`."""

    aws: EmbeddedAws
    stack: DeployedStack
    lambdas: LambdaRuntime
    events: EventRouter
    #: The local SageMaker (jobs, endpoints, endpoint runtime) behind moto's sagemaker APIs.
    sagemaker: LocalSageMaker | None = None
    #: Every stack deployed, :attr:`stack` first (see :meth:`add_stack`).
    stacks: list[DeployedStack] = field(default_factory=list)
    #: AWS API faults on the wire (S3 500s and SlowDown, SageMaker throttling).
    api_faults: ApiFaultInjector | None = None
    #: The simulated clock Wait states and Retry intervals run on (None: real time).
    clock: sfn_clock.SimulatedClock | None = None

    @property
    def failures(self) -> FailureInjector:
        """Failure switches of the local cloud (training, transform, endpoint update, Lambda crash)."""
        assert self.sagemaker is not None
        return self.sagemaker.failures

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.aws.client(service, **kwargs)

    def tick(self) -> list[Delivery]:
        """Fire every enabled scheduled rule once (its Lambda targets run asynchronously; ``events.wait``)."""
        return self.events.tick(self.client("events"))

    def add_stack(
        self,
        stack_name: str,
        parameters: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> DeployedStack:
        """Deploy the same template again as another stack, into the same account and region: two
        stacks side by side, as two deployments in one AWS account (their functions run here too)."""
        first = self.stack.template
        if any(stack.template.stack_name == stack_name for stack in self.stacks):
            raise ValueError(f"a stack named {stack_name!r} is already deployed")
        template = StackTemplate(
            first.document,
            first.root,
            stack_name=stack_name,
            region=first.region,
            parameters=parameters,
            settings=settings,
        )
        stack = deploy_stack(template, self.aws.session)
        self.lambdas.add(stack.functions.values())
        self.stacks.append(stack)
        return stack


@contextmanager
def local_cloud(
    template_path: str | Path = REPOSITORY_TEMPLATE,
    *,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    region: str = DEFAULT_REGION,
    failures: FailureInjector | None = None,
    sagemaker_settings: LocalSageMakerSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    simulated_time: bool = False,
) -> Iterator[LocalCloud]:
    """Start the embedded AWS, deploy ``template_path`` into it and run its functions in-process.

    Parameters
    ----------
    template_path : str or Path
        The SAM template (default: the repository's ``template.yaml``).
    parameters : Mapping, optional
        Template parameter overrides (every other parameter takes its Default).
    settings : Mapping, optional
        Setting overrides merged into the ``Settings`` parameter (docs/configuration.md).
    stack_name, region : str
        Pseudo parameters of the local stack.
    failures : FailureInjector, optional
        Failure switches for the local SageMaker and the Lambdas (a new, unarmed one by default; also
        ``cloud.failures``).
    sagemaker_settings : LocalSageMakerSettings, optional
        Durations of the local SageMaker's transitions (endpoint create/update, .sync poll...).
    host, port : str, int
        Where the embedded AWS listens (default: a free loopback port).
    simulated_time : bool
        Run Step Functions' Wait states and Retry intervals on a simulated clock
        (:mod:`drift_retrain_local.seams.sfn_clock`): the tests' choice; a demo keeps real time.
    """
    template = StackTemplate.from_file(
        template_path, parameters=parameters, settings=settings, stack_name=stack_name, region=region
    )
    check_all()  # a moved moto internal fails here, loudly, before anything starts
    failures = failures if failures is not None else FailureInjector()
    with EmbeddedAws(region, host=host, port=port) as aws:
        runtime = LambdaRuntime(template.functions(), region, failures=failures)
        s3_keys.install()  # moto gap: S3 refuses a key over 1,024 bytes (KeyTooLongError)
        sns_signing.install()  # moto cost: a new RSA key for every SNS subscription
        runtime.install(aws.session)  # before any client exists, so every client gets the hook
        api_faults = ApiFaultInjector()
        api_faults.install(aws.session)
        runtime.on_failure = SqsDestinations(aws.client("sqs"))
        router = EventRouter(runtime)
        router.install()
        lambda_invoke.install(runtime)  # Invokes from other processes (redrive, repair) run for real too
        # --- local SageMaker: moto's sagemaker / sagemaker-runtime / ASL sagemaker tasks really compute
        local_sagemaker = LocalSageMaker(_s3_client_factory(aws, region), failures, sagemaker_settings)
        sagemaker.install(local_sagemaker)
        parallel.install()  # moto bug: a Parallel branch failing with States.* skipped the Catch
        sfn_parameters.install()  # moto gap: aws-sdk tasks take and return PascalCase names as on AWS
        sfn_callbacks.install()  # moto gaps: task tokens answer as on AWS (cause, heartbeat, ended tasks)
        sfn_child_executions.install()  # moto gap: startExecution.sync:2 (child state machines) as on AWS
        sfn_distributed_map.install()  # moto gaps: Distributed Map's failure thresholds and result files
        sfn_speed.install()  # moto costs: the ASL parsed once per definition; history options honoured
        sfn_variables.install()  # moto gap: JSONPath states read workflow variables ($name) set by Assign
        clock = None
        if simulated_time:  # long waits pass at once when nothing else can happen first
            clock = sfn_clock.SimulatedClock(busy=lambda: runtime.busy() or local_sagemaker.busy())
            sfn_clock.install(clock)
        try:
            stack = deploy_stack(template, aws.session)
            yield LocalCloud(aws, stack, runtime, router, local_sagemaker, [stack], api_faults, clock)
        finally:
            if clock is not None:
                sfn_clock.uninstall()
            api_faults.uninstall()
            sfn_variables.uninstall()
            sfn_speed.uninstall()
            sfn_distributed_map.uninstall()
            sfn_child_executions.uninstall()
            sfn_callbacks.uninstall()
            sfn_parameters.uninstall()
            parallel.uninstall()
            sagemaker.uninstall()
            local_sagemaker.close()
            router.uninstall()
            lambda_invoke.uninstall()
            runtime.close()
            sns_signing.uninstall()
            s3_keys.uninstall()


def _s3_client_factory(aws: EmbeddedAws, region: str) -> Callable[[], Any]:
    """The S3 client of the local SageMaker's job threads: made once, on first use, from a session of its
    own (outside boto3's default session, so no Lambda hook applies), then shared. A botocore client is
    thread-safe where its session is not, and a session per job reloaded the S3 service model each time
    (about 0.4 s of CPU per job)."""
    lock = threading.Lock()
    made: list[Any] = []

    def make() -> Any:
        with lock:
            if not made:
                session = boto3.session.Session()
                made.append(session.client("s3", endpoint_url=aws.endpoint_url, region_name=region))
            return made[0]

    return make
