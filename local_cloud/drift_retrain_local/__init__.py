"""The local cloud: the SAM application run end to end on an embedded AWS (moto), with no account and
no Docker. Never deployed: it lives outside the Lambda layer and only adapts the AWS edge (moto gaps,
local SageMaker jobs); all business logic comes from ``drift_retrain``.
"""
