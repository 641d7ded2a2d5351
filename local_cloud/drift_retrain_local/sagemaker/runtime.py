"""The endpoint runtime: what InvokeEndpoint DOES on a local endpoint.

An endpoint serves a :class:`Deployment` (the production variants of one endpoint config, each with its
loaded model). During a blue/green update the endpoint has a :class:`Routing` with the serving
deployment and, while traffic shifts, the incoming one and the share of requests it gets. Every change
of routing replaces one immutable object under a lock, so a request sees either the old routing or the
new one, never a half-switched endpoint: no request fails because an update is under way.

Requests are ``text/csv`` records of encoded features (no label), answered like the built-in XGBoost
container: one line per record, a single value for binary/regression/softmax, the class probabilities
separated by commas for ``multi:softprob``. Models are loaded once per (model name, artifact URI).

An endpoint config with a ``DataCaptureConfig`` has its answered requests captured by the runtime's
:class:`~drift_retrain_local.sagemaker.capture.CaptureWriter` (one stream per variant, in AWS's layout),
with the request's ``InferenceId`` when it sets one.

A request without ``TargetVariant`` goes to a variant drawn at random in proportion to the current
weights (one seeded generator per runtime); with ``TargetVariant`` to exactly that variant (during a
blue/green shift, to the fleet that has it). :meth:`EndpointRuntime.reweigh` changes the weights of the
serving deployment in one swap (``UpdateEndpointWeightsAndCapacities``). A ``variant`` failure switch of
the :class:`~drift_retrain_local.sagemaker.failures.FailureInjector` makes the requests a variant serves
fail as a crashing container does (status 500, SageMaker's ``ModelError``).

How a request reaches :meth:`EndpointRuntime.invoke` (moto's sagemaker-runtime handler) is the seam's
business, not this module's.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drift_retrain_local.sagemaker import linear_learner as ll
from drift_retrain_local.sagemaker.capture import CaptureSettings, CaptureWriter
from drift_retrain_local.sagemaker.exceptions import (
    LocalSageMakerError,
    ModelArtifactError,
    RecordFormatError,
)
from drift_retrain_local.sagemaker.failures import VARIANT, FailureInjector, variant_target
from drift_retrain_local.sagemaker.model_artifact import LoadedModel, format_predictions, predict

__all__ = [
    "Deployment",
    "DeploymentError",
    "EndpointNotServingError",
    "EndpointRuntime",
    "InvokeResult",
    "ModelInvocationError",
    "Routing",
    "UnknownVariantError",
    "Variant",
]

#: ``resolve(model_name) -> ModelDataUrl`` (raises DeploymentError for a missing model).
ModelResolver = Callable[[str], str]
#: ``load(model_data_url) -> LoadedModel`` (raises ModelArtifactError / LocalSageMakerError).
ModelLoader = Callable[[str], LoadedModel]

CSV = "text/csv"


class DeploymentError(LocalSageMakerError):
    """An endpoint config cannot be served (missing model, unreadable artifact)."""


class EndpointNotServingError(LocalSageMakerError):
    """No deployment serves this endpoint (it does not exist, is still Creating, or Failed)."""


class UnknownVariantError(LocalSageMakerError):
    """``TargetVariant`` names no variant of the endpoint (InvokeEndpoint's ValidationError)."""

    def __init__(self, endpoint: str, variant: str):
        super().__init__(f"Endpoint {endpoint} has no variant named {variant}")
        self.endpoint, self.variant = endpoint, variant


class ModelInvocationError(LocalSageMakerError):
    """The model container answered with an error (SageMaker's ``ModelError``)."""

    def __init__(self, status: int, message: str, variant: str):
        super().__init__(message)
        self.status, self.message, self.variant = status, message, variant


@dataclass(frozen=True)
class Variant:
    name: str
    model_name: str
    weight: float
    model: LoadedModel


@dataclass(frozen=True)
class Deployment:
    """The production variants of one endpoint config, models loaded."""

    config_name: str
    variants: tuple[Variant, ...]
    #: The config's DataCaptureConfig (None: capture off); it applies to every variant.
    capture: CaptureSettings | None = None

    def choose(self, rng: random.Random) -> Variant:
        """A variant picked with probability proportional to its weight (all equal if every weight is 0)."""
        weights = [max(v.weight, 0.0) for v in self.variants]
        if len(self.variants) == 1 or sum(weights) <= 0:
            return self.variants[0] if len(self.variants) == 1 else rng.choice(self.variants)
        return rng.choices(self.variants, weights=weights, k=1)[0]

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def reweighed(self, weights: Mapping[str, float]) -> Deployment:
        """A copy with the named variants' weights replaced (the others kept)."""
        variants = tuple(
            dataclasses.replace(v, weight=float(weights[v.name])) if v.name in weights else v
            for v in self.variants
        )
        return dataclasses.replace(self, variants=variants)


@dataclass(frozen=True)
class Routing:
    """What serves an endpoint right now; ``incoming`` gets ``incoming_share`` of the requests."""

    serving: Deployment
    incoming: Deployment | None = None
    incoming_share: float = 0.0


@dataclass(frozen=True)
class InvokeResult:
    body: bytes
    content_type: str
    variant: str
    config_name: str


class EndpointRuntime:
    """Serves the local endpoints.

    Parameters
    ----------
    load_model : callable
        ``load(model_data_url) -> LoadedModel``; called once per (model name, URI), results cached.
    seed : int
        Seed of the variant choice (weighted random, reproducible).
    failures : FailureInjector, optional
        Armed ``variant`` switches make the requests of a variant fail (ModelError, status 500).
    capture : CaptureWriter, optional
        Writes the captured requests of deployments whose config has a DataCaptureConfig.
    """

    def __init__(
        self,
        load_model: ModelLoader,
        seed: int = 0,
        failures: FailureInjector | None = None,
        capture: CaptureWriter | None = None,
    ) -> None:
        self.capture = capture
        self._failures = failures
        self._load_model = load_model
        self._models: dict[tuple[str, str], LoadedModel] = {}
        self._models_lock = threading.Lock()
        self._routes: dict[str, Routing] = {}
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    # --------------------------------------------------------------------------------- deployments
    def model(self, model_name: str, model_data_url: str) -> LoadedModel:
        """The loaded model (cached)."""
        key = (model_name, model_data_url)
        with self._models_lock:
            cached = self._models.get(key)
        if cached is not None:
            return cached
        try:
            loaded = self._load_model(model_data_url)
        except (ModelArtifactError, LocalSageMakerError) as exc:
            raise DeploymentError(f"Unable to load model {model_name} from {model_data_url}: {exc}") from exc
        with self._models_lock:
            return self._models.setdefault(key, loaded)

    def load_deployment(self, config: dict[str, Any], resolve: ModelResolver) -> Deployment:
        """Load every production variant of a DescribeEndpointConfig response."""
        variants = []
        for spec in config.get("ProductionVariants") or []:
            model_name = str(spec["ModelName"])
            weight = spec.get("InitialVariantWeight")
            variants.append(
                Variant(
                    name=str(spec["VariantName"]),
                    model_name=model_name,
                    weight=1.0 if weight is None else float(weight),
                    model=self.model(model_name, resolve(model_name)),
                )
            )
        if not variants:
            raise DeploymentError(
                f"endpoint config {config.get('EndpointConfigName')} has no production variant"
            )
        return Deployment(
            str(config["EndpointConfigName"]),
            tuple(variants),
            CaptureSettings.from_config(config.get("DataCaptureConfig")),
        )

    # ------------------------------------------------------------------------------------- routing
    def activate(self, endpoint: str, deployment: Deployment) -> None:
        """``deployment`` serves every request of ``endpoint`` from now on (atomic switch)."""
        with self._lock:
            self._routes[endpoint] = Routing(deployment)

    def shift(self, endpoint: str, incoming: Deployment, share: float) -> None:
        """Send ``share`` of the requests to ``incoming``, the rest to the serving deployment."""
        with self._lock:
            current = self._routes[endpoint]
            self._routes[endpoint] = Routing(current.serving, incoming, min(max(share, 0.0), 1.0))

    def reweigh(self, endpoint: str, weights: Mapping[str, float]) -> Deployment:
        """Give the serving deployment's variants new weights, atomically; returns the new deployment."""
        with self._lock:
            current = self._routes.get(endpoint)
            if current is None:
                raise EndpointNotServingError(endpoint)
            serving = current.serving.reweighed(weights)
            self._routes[endpoint] = dataclasses.replace(current, serving=serving)
            return serving

    def remove(self, endpoint: str) -> None:
        with self._lock:
            self._routes.pop(endpoint, None)

    def routing(self, endpoint: str) -> Routing | None:
        with self._lock:
            return self._routes.get(endpoint)

    def clear(self) -> None:
        with self._lock:
            self._routes.clear()
        with self._models_lock:
            self._models.clear()

    # -------------------------------------------------------------------------------------- invoke
    def _route(
        self, endpoint: str, routing: Routing, target_variant: str | None
    ) -> tuple[Deployment, Variant]:
        """The deployment and variant of one request (called under the lock: one draw per request)."""
        use_incoming = routing.incoming is not None and self._rng.random() < routing.incoming_share
        deployment = routing.incoming if use_incoming and routing.incoming else routing.serving
        if not target_variant:
            return deployment, deployment.choose(self._rng)
        other = routing.serving if deployment is routing.incoming else routing.incoming
        for candidate in (deployment, other):
            variant = candidate.variant(target_variant) if candidate is not None else None
            if variant is not None and candidate is not None:
                return candidate, variant
        raise UnknownVariantError(endpoint, target_variant)

    def invoke(
        self,
        endpoint: str,
        body: bytes,
        content_type: str | None = CSV,
        target_variant: str | None = None,
        accept: str | None = None,
        inference_id: str | None = None,
    ) -> InvokeResult:
        """Predict with the variant chosen for this request (and capture it, when its config says so).

        Raises
        ------
        EndpointNotServingError
            No deployment serves ``endpoint``.
        UnknownVariantError
            ``target_variant`` names no variant of the endpoint.
        ModelInvocationError
            The request is not what the built-in container accepts (status 415 or 400), or an injected
            variant failure fired (status 500).
        """
        with self._lock:
            routing = self._routes.get(endpoint)
            if routing is None:
                raise EndpointNotServingError(endpoint)
            deployment, variant = self._route(endpoint, routing, target_variant)
        injected = (
            self._failures.check(VARIANT, variant_target(endpoint, variant.name)) if self._failures else None
        )
        if injected:
            raise ModelInvocationError(500, injected, variant.name)
        media_type = str(content_type or CSV).split(";")[0].strip().lower()
        if media_type not in (CSV, "csv"):
            raise ModelInvocationError(
                415,
                f"Content type {content_type} is not supported by this algorithm (text/csv only).",
                variant.name,
            )
        try:
            if isinstance(variant.model, ll.LinearModel):  # answers in JSON (Lines), as documented
                answer, kind = ll.respond(variant.model, predict(variant.model, body), accept or "")
                result = InvokeResult(answer.encode("utf-8"), kind, variant.name, deployment.config_name)
            else:
                predictions = predict(variant.model, body)
                text = "\n".join(",".join(row) for row in format_predictions(predictions))
                result = InvokeResult(text.encode("utf-8"), CSV, variant.name, deployment.config_name)
        except (RecordFormatError, UnicodeDecodeError, ValueError) as exc:
            raise ModelInvocationError(
                400, f"Loading csv data failed with Exception: {exc}", variant.name
            ) from None
        if self.capture is not None:
            self.capture.capture(
                endpoint,
                variant.name,
                deployment.capture,
                request=body,
                request_type=content_type,
                response=result.body,
                response_type=result.content_type,
                inference_id=inference_id,
            )
        return result
