# Sourced by CI jobs: let boto3 assume BUILD_ROLE_ARN with this job's GitLab OIDC token.
#   . ci/aws-oidc.sh
# boto3 reads AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE and calls sts:AssumeRoleWithWebIdentity
# itself (refreshing as needed), so no AWS key is ever stored. The token is written to a private
# temp file and never printed. POSIX sh: it runs in the job's own shell.
if [ -z "${AWS_ID_TOKEN:-}" ]; then
    echo "error: AWS_ID_TOKEN is empty; the job needs 'id_tokens: AWS_ID_TOKEN: aud: sts.amazonaws.com'" >&2
    false
elif [ -z "${BUILD_ROLE_ARN:-}" ]; then
    echo "error: BUILD_ROLE_ARN is not set; it is a CI/CD variable created with the SageMaker project" >&2
    false
else
    AWS_WEB_IDENTITY_TOKEN_FILE=$(umask 077 && mktemp "${TMPDIR:-/tmp}/aws-web-identity.XXXXXX")
    printf '%s' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"
    AWS_ROLE_ARN=$BUILD_ROLE_ARN
    AWS_ROLE_SESSION_NAME="gitlab-${CI_PROJECT_ID:-local}-${CI_JOB_ID:-0}"
    export AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME
    echo "AWS: assuming the build role with this job's OIDC token (session $AWS_ROLE_SESSION_NAME)"
fi
