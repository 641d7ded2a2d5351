#!/usr/bin/env bash
# make aws-smoke: the checks only a real AWS account can run (docs/aws-notes.md, "What only an account
# can show"). Deploys a small stack, walks one bootstrap and one promotion, and saves what AWS answered
# (execution histories, error names, the DetectDrift outcome for an awkward key) under out/aws-smoke/.
#
# It costs money (an endpoint, a training job, two transforms: a few dollars if torn down the same day)
# and is never run by CI. Without CONFIRM=yes it only prints what it would do.
#
#   make aws-smoke                                  # the plan, and whether your credentials work
#   CONFIRM=yes make aws-smoke                      # run it (AWS_REGION, STACK to choose)
#   CONFIRM=yes TEARDOWN=yes make aws-smoke         # run it, then delete the endpoint and the stack
set -euo pipefail

STACK=${STACK:-drift-retrain-smoke}
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
ENDPOINT="${STACK}-endpoint"
PREFIX=smoke
OUT=out/aws-smoke
PY=${PY:-.venv/bin/python}
BATCH_KEY="incoming/smoke batch+1 100%.csv" # a space, a plus and a percent sign (finding 8)
# Short waits and two candidates; single-quoted inside the override so SAM CLI keeps the JSON's quotes.
SETTINGS='{"endpoint_poll_seconds":30,"deployment_wait_interval_seconds":60,"deployment_termination_wait_seconds":0,"candidate_strategies":"since_change,newest"}'

plan() {
  cat <<EOF
aws-smoke plan (stack ${STACK}, region ${REGION}):
  1. sam build && sam deploy: stack ${STACK}, EndpointName=${ENDPOINT}, ModelNamePrefix=${PREFIX},
     short waits (Settings: ${SETTINGS})
  2. write demo data (4,000 training rows, a 1,000-row concept change) to ${OUT}/data
  3. bootstrap: seed/initial.csv, start the bootstrap execution, wait (training, transform, CreateEndpoint)
  4. promotion: upload "${BATCH_KEY}" to incoming/, wait for DetectDrift's execution, expect
     "Promote candidate" after a blue/green update guarded by the rollback alarms
  5. save both execution histories and the DetectDrift log lines to ${OUT}/, and print the error names
     AWS reported and the key DetectDrift resolved
  6. TEARDOWN=yes: delete the endpoint, the workflow's configs and models, and the stack (the data bucket
     is retained by design: empty and delete it yourself)
EOF
}

refuse() {
  echo "aws-smoke: $*" >&2
  exit 2
}

plan
[ -z "${CI:-}" ] || refuse "refusing to run in CI (CI=${CI}): this deploys to a real account"
command -v aws >/dev/null || refuse "the AWS CLI is not installed"
command -v sam >/dev/null || refuse "the AWS SAM CLI is not installed"
IDENTITY=$(aws sts get-caller-identity --query Arn --output text 2>/dev/null) ||
  refuse "no working AWS credentials (aws sts get-caller-identity failed): configure a profile first"
echo "credentials: ${IDENTITY}"
if [ "${CONFIRM:-}" != "yes" ]; then
  echo "dry run: nothing was deployed. Run CONFIRM=yes make aws-smoke to do the above (it costs money)."
  exit 0
fi

mkdir -p "${OUT}"
output() {
  aws cloudformation describe-stacks --region "${REGION}" --stack-name "${STACK}" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

wait_for() { # execution ARN -> final status; history saved to ${OUT}/<name>.history.json
  local arn=$1 name=$2 status
  for _ in $(seq 1 240); do
    status=$(aws stepfunctions describe-execution --region "${REGION}" --execution-arn "${arn}" --query status --output text)
    [ "${status}" = RUNNING ] || break
    sleep 30
  done
  aws stepfunctions get-execution-history --region "${REGION}" --execution-arn "${arn}" --output json \
    >"${OUT}/${name}.history.json"
  echo "${status}"
}

summarize() { # what AWS answered: the state path, and every error name it reported
  "${PY}" - "$1" <<'EOF'
import json, sys
events = json.load(open(sys.argv[1]))["events"]
path = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
print("  states:", " -> ".join(dict.fromkeys(path)))
for e in events:
    for key, details in e.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and details.get("error"):
            print(f"  {e['type']}: error={details['error']} cause={str(details.get('cause'))[:160]}")
EOF
}

echo "== 1. deploy"
sam build
sam deploy --region "${REGION}" --stack-name "${STACK}" --resolve-s3 --capabilities CAPABILITY_IAM \
  --no-confirm-changeset --no-fail-on-empty-changeset --parameter-overrides \
  "EndpointName=${ENDPOINT}" "ModelNamePrefix=${PREFIX}" "Settings='${SETTINGS}'"
BUCKET=$(output DataBucketName)
SM=$(output RetrainStateMachineArn)

echo "== 2. data"
"${PY}" -c "from drift_retrain_local.demos.data import write_demo_data as w; w('${OUT}/data', train_rows=4000, batch_rows=1000)"

echo "== 3. bootstrap"
aws s3 cp "${OUT}/data/train.csv" "s3://${BUCKET}/seed/initial.csv"
NAME="bootstrap-$(date +%s)"
ARN=$(aws stepfunctions start-execution --region "${REGION}" --state-machine-arn "${SM}" --name "${NAME}" \
  --input "{\"bootstrap\": true, \"batch\": {\"bucket\": \"${BUCKET}\", \"key\": \"seed/initial.csv\", \"version_id\": null, \"etag\": null, \"batch_id\": \"bootstrap\"}}" \
  --query executionArn --output text)
echo "bootstrap: $(wait_for "${ARN}" bootstrap)"
summarize "${OUT}/bootstrap.history.json"

echo "== 4. promotion"
BEFORE=$(aws sagemaker describe-endpoint --region "${REGION}" --endpoint-name "${ENDPOINT}" --query EndpointConfigName --output text)
SINCE=$(date +%s)
aws s3 cp "${OUT}/data/batch-03-concept-change.csv" "s3://${BUCKET}/${BATCH_KEY}"
ARN=""
for _ in $(seq 1 60); do
  ARN=$(aws stepfunctions list-executions --region "${REGION}" --state-machine-arn "${SM}" \
    --query "executions[?startDate>=\`${SINCE}\`].executionArn | [0]" --output text)
  [ "${ARN}" != None ] && [ -n "${ARN}" ] && break
  sleep 15
done
aws logs filter-log-events --region "${REGION}" --log-group-name "/aws/lambda/$(output DetectDriftFunctionName)" \
  --start-time "$((SINCE * 1000))" --output json >"${OUT}/detect-drift.log.json" || true
if [ -z "${ARN}" ] || [ "${ARN}" = None ]; then
  echo "no execution started: read ${OUT}/detect-drift.log.json (the key DetectDrift resolved, its outcome)"
else
  echo "promotion run: $(wait_for "${ARN}" promotion)"
  summarize "${OUT}/promotion.history.json"
  AFTER=$(aws sagemaker describe-endpoint --region "${REGION}" --endpoint-name "${ENDPOINT}" --query EndpointConfigName --output text)
  echo "endpoint config: ${BEFORE} -> ${AFTER}"
fi

echo "== 5. saved under ${OUT}/ (compare with docs/aws-notes.md)"
if [ "${TEARDOWN:-}" = yes ]; then
  echo "== 6. teardown"
  aws sagemaker delete-endpoint --region "${REGION}" --endpoint-name "${ENDPOINT}" || true
  for config in $(aws sagemaker list-endpoint-configs --region "${REGION}" --name-contains "${PREFIX}-" --query "EndpointConfigs[].EndpointConfigName" --output text); do
    aws sagemaker delete-endpoint-config --region "${REGION}" --endpoint-config-name "${config}"
  done
  for model in $(aws sagemaker list-models --region "${REGION}" --name-contains "${PREFIX}-" --query "Models[].ModelName" --output text); do
    aws sagemaker delete-model --region "${REGION}" --model-name "${model}"
  done
  sam delete --region "${REGION}" --stack-name "${STACK}" --no-prompts
  echo "the data bucket ${BUCKET} is retained: empty it (all versions) and delete it when done"
else
  echo "the endpoint ${ENDPOINT} keeps running (and costing): TEARDOWN=yes CONFIRM=yes make aws-smoke, or docs/deployment.md section 7"
fi
