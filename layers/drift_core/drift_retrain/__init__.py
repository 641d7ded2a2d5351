"""drift_retrain: drift detection and retraining decisions for models served by SageMaker.

This package is the one copy of the service's logic. The Lambda functions, the ``drift-retrain`` CLI,
the local cloud and the tests all import it from the ``drift_core`` layer.
"""

__version__ = "0.1.0"
