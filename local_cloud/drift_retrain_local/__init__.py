"""The local cloud: the SAM application run end to end on an embedded AWS (moto), with no account and
no Docker. Never deployed: it lives outside the Lambda layer and only adapts the AWS edge (moto gaps,
local SageMaker jobs); all business logic comes from ``drift_retrain``.
"""

import os

# The local SageMaker trains XGBoost in the same process as the Lambdas and the Step Functions
# interpreter. XGBoost's OpenMP threads spin on a CPU for a while after each parallel region before they
# sleep, taking CPU from the work that runs next: `make demo` took 37 to 40 s and now takes 33 to 34 s,
# and the state machine tests on three workers used 260 s of CPU and now use 235 s. The threads now sleep
# at once, and what they compute is unchanged. This is set before anything loads libgomp, which reads the
# variable once. A value already set in the environment is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
