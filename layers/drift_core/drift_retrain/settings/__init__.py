"""The stack's settings: the schema (:mod:`.schema`), their validation (:mod:`.values`), the Lambdas'
environment (:mod:`.lambda_env`) and the deploy-time validator's answer (:mod:`.cfn`)."""
