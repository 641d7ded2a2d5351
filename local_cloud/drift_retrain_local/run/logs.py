"""Where a local run's logs go: the Lambdas' Powertools lines and moto's records, to ``logs.txt``.

moto's Step Functions interpreter (a port of LocalStack's) logs every JSONPath it cannot resolve at ERROR
level, before the state that asked handles it. A ``Choice`` rule ``IsPresent: false`` is exactly such a
question: the definition asks whether ``$.settings`` or ``$.bootstrap`` is in the input, moto logs
``NoSuchJsonPathError``, and the rule answers "not present" as AWS does. Those lines are not errors, so
they are dropped. A path that is really missing elsewhere fails the execution (``States.Runtime``), which
the timeline, the notification and the execution history report.

Python warnings a Lambda raises (Powertools' "No application metrics to publish", for one) go to stderr on
AWS, and so to the function's CloudWatch log stream: here they go to ``logs.txt`` as well.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

__all__ = ["MOTO_EVAL_LOGGER", "ExpectedMotoNoise", "logs_to"]

MOTO_EVAL_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"
_LOGGERS = ("moto", "werkzeug", "botocore", "drift_retrain", "py.warnings")


class ExpectedMotoNoise(logging.Filter):
    """Drops moto's ERROR line for a JSONPath an ``IsPresent`` rule asked about (see the module doc)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == MOTO_EVAL_LOGGER and "Exception=NoSuchJsonPathError" in record.getMessage()
        )


@contextlib.contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """Send what the Lambdas print (Powertools' JSON lines) and moto's log records to ``path``, so the
    terminal shows the progress only."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    with path.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
        handler = logging.StreamHandler(handle)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(ExpectedMotoNoise())
        saved = [(logger, logger.propagate) for logger in loggers]
        for logger in loggers:
            logger.addHandler(handler)
            logger.propagate = False
        logging.captureWarnings(True)  # warnings.showwarning -> the "py.warnings" logger
        try:
            yield
        finally:
            logging.captureWarnings(False)
            for logger, propagate in saved:
                logger.removeHandler(handler)
                logger.propagate = propagate
