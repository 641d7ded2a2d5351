"""AWS adapters of the drift engine.

Each module takes its boto3 client as an argument (no client is created at import time) and translates
botocore ``ClientError`` into the exceptions of :mod:`drift_retrain.aws.exceptions`. The statistics and
decisions stay in :mod:`drift_retrain.engine`; :mod:`drift_retrain.detect.service` wires them to S3, SageMaker runtime, Step Functions and SNS for the DetectDrift Lambda.
"""
