"""The local cloud: the SAM application run end to end on an embedded AWS (moto), with no account and
no Docker. Never deployed: it lives outside the Lambda layer and only adapts the AWS edge (moto gaps,
local SageMaker jobs); all business logic comes from ``drift_retrain``.
"""

import os

# The local SageMaker trains XGBoost in the same process as the Lambdas and the Step Functions
# interpreter. By default, XGBoost's OpenMP threads spin on a CPU for a while after each parallel region,
# and that takes CPU from the work that runs next. PASSIVE makes idle threads sleep at once without
# changing what they compute. It has to be set before anything loads libgomp, which reads the variable
# only once. A value the user has already set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
