"""The local cloud in one context manager: embedded AWS + the template's stack + in-process Lambdas + events."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_retrain_local.events import EventRouter
from drift_retrain_local.lambdas import LambdaRuntime
from drift_retrain_local.server import EmbeddedAws
from drift_retrain_local.stack import DeployedStack, deploy_stack
from drift_retrain_local.template import DEFAULT_REGION, DEFAULT_STACK_NAME, StackTemplate

__all__ = ["REPOSITORY_TEMPLATE", "LocalCloud", "local_cloud"]

#: ``template.yaml`` of the repository this package lives in.
REPOSITORY_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@dataclass
class LocalCloud:
    """A running local cloud: clients via :attr:`aws`, resources via :attr:`stack`."""

    aws: EmbeddedAws
    stack: DeployedStack
    lambdas: LambdaRuntime
    events: EventRouter

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.aws.client(service, **kwargs)


@contextmanager
def local_cloud(
    template_path: str | Path = REPOSITORY_TEMPLATE,
    *,
    parameters: Mapping[str, Any] | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    region: str = DEFAULT_REGION,
) -> Iterator[LocalCloud]:
    """Start the embedded AWS, deploy ``template_path`` into it and run its functions in-process.

    Parameters
    ----------
    template_path : str or Path
        The SAM template (default: the repository's ``template.yaml``).
    parameters : Mapping, optional
        Template parameter overrides (every other parameter takes its Default).
    stack_name, region : str
        Pseudo parameters of the local stack.
    """
    template = StackTemplate.from_file(
        template_path, parameters=parameters, stack_name=stack_name, region=region
    )
    with EmbeddedAws(region) as aws:
        runtime = LambdaRuntime(template.functions(), region)
        runtime.install(aws.session)  # before any client exists, so every client gets the hook
        router = EventRouter(runtime)
        router.install()
        try:
            stack = deploy_stack(template, aws.session)
            yield LocalCloud(aws, stack, runtime, router)
        finally:
            router.uninstall()
            runtime.close()
