"""AWS adapters of the drift engine.

Each module takes its boto3 client as an argument (no client is created at import time) and translates
botocore ``ClientError`` into the exceptions of :mod:`drift_retrain.aws.exceptions`. The statistics and
decisions stay in the pure modules of :mod:`drift_retrain`; :mod:`drift_retrain.aws.detect_service`
wires them to S3, SageMaker runtime, Step Functions and SNS for the DetectDrift Lambda.
"""
