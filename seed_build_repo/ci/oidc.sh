# Sourced (`. ci/oidc.sh`) by CI jobs that call AWS: boto3 assumes OIDC_ROLE_ARN with this job's GitLab OIDC
# token (AssumeRoleWithWebIdentity, refreshed by boto3 itself). No AWS keys are stored anywhere.
# Needs: AWS_ID_TOKEN (from `id_tokens:` in .gitlab-ci.yml) and OIDC_ROLE_ARN (the job maps it from the
# role's CI/CD variable: BUILD_ROLE_ARN in the build repo, STAGING_ROLE_ARN / PROD_ROLE_ARN in the deploy repo).
# The same file, byte for byte, is in both seed repos (a test of the template repository checks it).
# POSIX sh: it runs in the job's own shell.

if [ -z "${AWS_ID_TOKEN:-}" ]; then
    echo "ERROR: AWS_ID_TOKEN is empty: the job needs 'id_tokens: AWS_ID_TOKEN: aud: sts.amazonaws.com'" >&2
    exit 1
fi
if [ -z "${OIDC_ROLE_ARN:-}" ]; then
    echo "ERROR: no role to assume: OIDC_ROLE_ARN is empty; the job maps it from BUILD_ROLE_ARN (build repo) or, in the deploy repo, set STAGING_ROLE_ARN and PROD_ROLE_ARN as CI/CD variables (the project's seeder does)" >&2
    exit 1
fi

# Static credentials win over the web identity in boto3's credential chain (environment keys first, then
# a profile's role or credential_process): this job uses none of them.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CREDENTIAL_EXPIRATION
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
unset AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN

# The token file lives in a private directory inside the job's own temp space (GitLab Runner's
# "$CI_PROJECT_DIR.tmp", else TMPDIR), never in the checked-out tree (caches and artifacts) and never
# printed. The directory is removed when the job's shell exits, also on a failing command or a signal.
oidc_parent="${CI_PROJECT_DIR:+$CI_PROJECT_DIR.tmp}"
if [ -z "$oidc_parent" ] || [ ! -d "$oidc_parent" ]; then
    oidc_parent="${TMPDIR:-/tmp}"
fi
if ! AWS_OIDC_DIR="$(umask 077 && mktemp -d "$oidc_parent/aws-oidc.XXXXXX")"; then
    echo "ERROR: cannot create a private directory for the OIDC token under $oidc_parent" >&2
    exit 1
fi
unset oidc_parent
trap 'rm -rf "$AWS_OIDC_DIR"' EXIT
trap 'rm -rf "$AWS_OIDC_DIR"; trap - EXIT; exit 129' HUP
trap 'rm -rf "$AWS_OIDC_DIR"; trap - EXIT; exit 130' INT
trap 'rm -rf "$AWS_OIDC_DIR"; trap - EXIT; exit 143' TERM
AWS_WEB_IDENTITY_TOKEN_FILE="$AWS_OIDC_DIR/token"
(umask 077 && printf '%s' "$AWS_ID_TOKEN" >"$AWS_WEB_IDENTITY_TOKEN_FILE")
AWS_ROLE_ARN="$OIDC_ROLE_ARN"
AWS_ROLE_SESSION_NAME="gitlab-${CI_PROJECT_ID:-local}-${CI_JOB_ID:-0}"
export AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ROLE_SESSION_NAME
echo "AWS credentials: the role for ${CI_ENVIRONMENT_NAME:-this pipeline}, assumed with this job's OIDC token"
