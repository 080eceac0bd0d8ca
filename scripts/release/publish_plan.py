"""What a publish run would do (``--dry-run``) and what to do after one: text for the person running it."""

import os

from release import artifact_store, service_catalog, stack_progress, uploads
from release.aws_errors import PublishError, step
from release.layout import PINNED_CODE, TEMPLATE
from release.platform_stack import stack_parameters
from release.publisher import Publisher


def plan(publisher: Publisher) -> list[str]:
    """The steps ``scripts/publish --dry-run`` prints; reads only."""
    lines = [
        f"account {publisher.account}, region {publisher.region}, endpoint {os.environ.get('AWS_ENDPOINT_URL') or 'AWS'}",
        f"version {publisher.settings.version} from {publisher.settings.directory}",
    ]
    with step("checking the artifacts bucket", "s3"):
        exists = artifact_store.bucket_exists(publisher.s3, publisher.bucket)
        planned = uploads.plan_uploads(
            publisher.s3 if exists else None, publisher.bucket, publisher.prefix, publisher.settings.manifest
        )
    try:
        writer = f"writable only by {publisher.publisher_arn(exists)}"
    except PublishError as error:
        writer = f"ERROR: {error}"
    lines.append(
        f"1. bucket s3://{publisher.bucket}: "
        + ("exists" if exists else "create (private, AES256, versioned, CORS for Studio, TLS only)")
        + f", {writer}"
    )
    counts = {
        state: sum(1 for upload in planned if upload.state == state)
        for state in ("new", "unchanged", "conflict")
    }
    lines.append(
        f"2. upload to s3://{publisher.bucket}/{publisher.prefix}/: {counts['new']} to upload, {counts['unchanged']} unchanged"
        + (
            f", {counts['conflict']} CONFLICTING (version already published with other content)"
            if counts["conflict"]
            else ""
        )
    )
    lines.append(
        f"3. s3://{publisher.bucket}/{publisher.prefix}/{TEMPLATE}: the project template with "
        + " and ".join(sorted(PINNED_CODE.values()))
        + " pinned to the uploaded object versions"
    )
    with step("reading the platform stack", "cloudformation"):
        status = stack_progress.stack_status(publisher.cfn, publisher.settings.stack)
    creating = status in (None, "ROLLBACK_COMPLETE")
    try:
        parameters = stack_parameters(publisher.settings, publisher.bucket, publisher.url(TEMPLATE), creating)
    except PublishError as error:
        parameters = []
        lines.append(f"   ERROR: {error}")
    shown = ", ".join(
        f"{parameter['ParameterKey']}={parameter.get('ParameterValue', '(previous)')}"
        for parameter in parameters
    )
    lines.append(
        f"4. stack {publisher.settings.stack}: {'create' if creating else f'update (now {status})'} with {shown}"
    )
    product_id = None
    if not creating:
        with step("reading the platform stack", "cloudformation"):
            product_id = stack_progress.stack_outputs(publisher.cfn, publisher.settings.stack).get(
                "ProductId"
            )
    if product_id:
        with step("reading the product versions", "servicecatalog"):
            names = [artifact.name for artifact in service_catalog.list_artifacts(publisher.sc, product_id)]
        state = "exists" if publisher.settings.version in names else "add"
        lines.append(f"5. Service Catalog product {product_id} version {publisher.settings.version}: {state}")
    else:
        lines.append(
            f"5. Service Catalog product version {publisher.settings.version}: created with the stack or added after it"
        )
    if publisher.settings.skip_s3_template:
        lines.append("6. S3-hosted project template: skipped (--skip-s3-template)")
    else:
        lines.append(
            f"6. S3-hosted project template s3://{publisher.bucket}/{publisher.template_key} (tag sagemaker:studio-visibility=true)"
        )
    return lines


def next_steps(publisher: Publisher, results: dict[str, str]) -> list[str]:
    """What to do after a run, printed last."""
    lines = [
        "",
        f"Published {publisher.settings.version}: "
        + ", ".join(f"{k}={v}" for k, v in sorted(results.items())),
        "",
        "Next steps:",
    ]
    if results.get("product_id"):
        lines.append(
            "  - SageMaker Studio: Deployments > Projects > Create project > Organization templates > "
            "'SageMaker project with GitLab (build, train, deploy)'. Studio roles need portfolio access "
            "(--studio-role-arn)."
        )
    if not publisher.settings.skip_s3_template:
        lines += [
            "  - To offer the S3-hosted template instead of (or besides) Service Catalog, tag your SageMaker domain:",
            f"      aws sagemaker add-tags --resource-arn arn:aws:sagemaker:{publisher.region}:{publisher.account}:domain/<domain-id> \\",
            f"        --tags Key=sagemaker:projectS3TemplatesLocation,Value=s3://{publisher.bucket}/{publisher.settings.template_prefix}/",
            "    (S3-hosted templates are launched with the AmazonSageMakerProjectsLaunchRole; give it the "
            f"permissions of the sagemaker-gitlab launch role from stack {publisher.settings.stack}.)",
        ]
    lines += [
        "  - Make sure the GitLab token secret holds a group access token with api scope; only the seeder reads it.",
        "  - Publishing again with a new version adds a product version; existing projects keep theirs.",
    ]
    return lines
