# Sourced (`. ci/oidc.sh`) by jobs that call AWS: boto3 assumes the stage's IAM role with this job's GitLab
# OIDC token (AssumeRoleWithWebIdentity). No AWS keys are stored anywhere.
# Needs: AWS_ID_TOKEN (from `id_tokens:` in .gitlab-ci.yml) and OIDC_ROLE_ARN (the stage's role).

if [ -z "${AWS_ID_TOKEN:-}" ]; then
    echo "ERROR: AWS_ID_TOKEN is empty: the job needs 'id_tokens: AWS_ID_TOKEN: aud: sts.amazonaws.com'" >&2
    exit 1
fi
if [ -z "${OIDC_ROLE_ARN:-}" ]; then
    echo "ERROR: no role to assume: set STAGING_ROLE_ARN and PROD_ROLE_ARN as CI/CD variables (the project's seeder does)" >&2
    exit 1
fi
AWS_WEB_IDENTITY_TOKEN_FILE="$(mktemp)"
printf '%s' "$AWS_ID_TOKEN" >"$AWS_WEB_IDENTITY_TOKEN_FILE"
AWS_ROLE_ARN="$OIDC_ROLE_ARN"
AWS_ROLE_SESSION_NAME="gitlab-${CI_PROJECT_ID:-local}-${CI_JOB_ID:-0}"
export AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME
# Keys in the environment would win over the web identity in boto3's credential chain: this job uses none.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
echo "AWS credentials: the role for ${CI_ENVIRONMENT_NAME:-this pipeline}, assumed with this job's OIDC token"
