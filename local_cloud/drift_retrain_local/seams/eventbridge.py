"""The one place the local cloud reaches into moto's EventBridge internals (moto 5.2.5, pinned).

moto puts S3 "Object Created" events on EventBridge when the bucket has EventBridge notifications on
(``moto/s3/notifications.py``, ``_send_event_bridge_message``), and it matches them against every rule
(``moto/events/models.py``, ``Rule.send_to_targets``). What it cannot do is deliver to a Lambda target:
``send_to_targets`` raises ``NotImplementedError`` for one, and the S3 path swallows every error. There is
no public hook between the match and the delivery, so this module wraps ``Rule.send_to_targets``: a rule's
Lambda targets go to a callback, its other targets to moto as before. A rule with only a
``ScheduleExpression`` matches no event, as on AWS (moto's empty pattern would match every one); it fires
through :meth:`drift_retrain_local.cloud.events.EventRouter.tick`.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has this shape;
``tests/local_cloud/seams/test_moto_seams.py`` runs it.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections.abc import Callable
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import source

__all__ = ["LambdaTargetCallback", "check", "install", "uninstall"]

#: ``callback(rule_name, rule_arn, target, event)`` for each Lambda target of a rule that matched.
LambdaTargetCallback = Callable[[str, str, dict[str, Any], dict[str, Any]], None]

_lock = threading.Lock()
_original: Callable[..., None] | None = None
_callback: LambdaTargetCallback | None = None


def _rule_class() -> type:
    try:
        from moto.events.models import Rule
    except ImportError as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(f"moto.events.models.Rule cannot be imported: {error}") from error
    return Rule


def check() -> None:
    """Verify the moto internals this module relies on are where moto 5.2.5 has them."""
    rule = _rule_class()
    method = getattr(rule, "send_to_targets", None)
    if method is None:
        raise MotoHookMovedError("moto.events.models.Rule.send_to_targets is gone")
    parameters = list(inspect.signature(method).parameters)
    if parameters[:3] != ["self", "original_event", "transform_input"]:
        raise MotoHookMovedError(f"Rule.send_to_targets has a new signature: {parameters}")
    for attribute in ("event_pattern", "targets", "name", "arn", "scheduled_expression"):
        if attribute not in source(rule):
            raise MotoHookMovedError(f"moto's Rule no longer has {attribute!r}")
    from moto.events.models import EventPattern

    if not callable(getattr(EventPattern, "get_pattern", None)):
        raise MotoHookMovedError("moto's EventPattern no longer has get_pattern()")
    from moto.s3 import notifications

    sender = getattr(notifications, "_send_event_bridge_message", None)
    if sender is None or "send_to_targets" not in source(sender):
        raise MotoHookMovedError("moto's S3 notifications no longer call Rule.send_to_targets")


def install(callback: LambdaTargetCallback) -> None:
    """Route the Lambda targets of matching rules to ``callback`` (one callback per process)."""
    global _original, _callback
    check()
    rule_class = _rule_class()
    with _lock:
        if _original is not None:
            raise RuntimeError("another local cloud already routes EventBridge's Lambda targets")
        _original = rule_class.send_to_targets
        _callback = callback
        rule_class.send_to_targets = _send_to_targets


def uninstall() -> None:
    global _original, _callback
    with _lock:
        if _original is not None:
            _rule_class().send_to_targets = _original
        _original = None
        _callback = None


def _send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    original, callback = _original, _callback
    if original is None:  # uninstalled while moto was calling us
        return
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule-only rule matches no event (moto's empty pattern would match all); see tick()
    lambda_targets = [target for target in self.targets if ":lambda:" in target["Arn"]]
    other_targets = [target for target in self.targets if ":lambda:" not in target["Arn"]]
    if other_targets:
        clone = copy.copy(self)
        clone.targets = other_targets
        original(clone, original_event, transform_input)
    if not lambda_targets or callback is None or not self.event_pattern.matches_event(original_event):
        return
    for target in lambda_targets:
        callback(self.name, self.arn, dict(target), copy.deepcopy(original_event))
