"""The retraining workflow's Lambda steps, one subpackage each, as :mod:`drift_retrain.detect` is
DetectDrift's.

- ``prepare_training_data``: PrepareTrainingData: the trigger verified, the champion checked, every
  candidate's window read, split and written as SageMaker channels, and the training manifest;
- ``evaluate_candidate``: EvaluateCandidate: the transform outputs scored, the paired tests, the decision;
- ``promote_model``: PromoteModel: the new baseline profile, the registry, lineage and cleanup;
- ``notify``: Notify: the run summary (with its A/B section) the team receives;
- ``ab_test``: AbTest: the A/B record opened with the task token and closed on every way out;
- ``shared``: what several steps (or DetectDrift) use: the algorithms, the errors, the names, the payloads,
  the drift settings and the transform outputs.

Each step imports only its own package, ``shared`` and the rest of the layer, never another step
(``tests/static/test_import_graph.py``). See docs/architecture.md for the whole map.
"""
