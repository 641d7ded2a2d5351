"""AbTest: open the A/B record with the execution's task token, and close it on every way out.

``service.handle`` is the step (DetectDrift's part of the test is :mod:`drift_retrain.detect.ab_test`).
"""
