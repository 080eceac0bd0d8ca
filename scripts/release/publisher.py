"""The publish run against one account and region, step by step, each step idempotent.

1. the artifacts bucket: created when missing (private, encrypted, versioned, TLS only), its policy letting
   only the publisher write; 2. the version's zips under ``sagemaker-gitlab/<version>/``, each checked
   against the manifest before and after upload, and their object versions read back; 3. the project
   template with those versions pinned, then the manifest (the completion marker); 4. the platform stack;
   5. the Service Catalog product version; 6. the S3-hosted SageMaker project template.
"""

import json
from collections.abc import Callable
from typing import Any

import boto3

from release import artifact_store, bucket_policy, service_catalog, stack_progress, uploads
from release.aws_errors import PublishError, step
from release.layout import MANIFEST, PINNED_CODE, PLATFORM_TEMPLATE, PRODUCT_NAME, TEMPLATE
from release.platform_stack import check_token_secret, find_oidc_provider, gitlab_host, stack_parameters
from release.publish_validation import Settings
from release.render import RenderError, pin_code_versions

Log = Callable[[str], None]
STEPS = 6


class Publisher:
    """Clients, names and the run; ``release.publish_plan`` describes a run without making it."""

    def __init__(self, settings: Settings, session: boto3.session.Session, log: Log = print) -> None:
        self.settings = settings
        self.log = log
        self.region = session.region_name
        if not self.region:
            raise PublishError("no AWS region configured: pass --region or set AWS_REGION")
        self.s3 = session.client("s3")
        self.cfn = session.client("cloudformation")
        self.sc = session.client("servicecatalog")
        self.sts = session.client("sts")
        self.iam = session.client("iam")
        self.secrets = session.client("secretsmanager")
        with step("reading your identity", "sts"):
            identity = self.sts.get_caller_identity()
            self.account = str(identity["Account"])
        with step("reading your role", "iam"):
            self.caller_arn = bucket_policy.caller_principal_arn(str(identity["Arn"]), self.iam)
        self.bucket = settings.bucket or artifact_store.default_bucket_name(self.account, self.region)
        self.prefix = str(settings.manifest["s3_prefix"])

    # -- names -------------------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return artifact_store.https_url(self.bucket, str(self.region), f"{self.prefix}/{name}")

    @property
    def template_key(self) -> str:
        return f"{self.settings.template_prefix}/{PRODUCT_NAME}.yaml"

    def publisher_arn(self, bucket_exists: bool) -> str:
        existing = bucket_policy.current_publisher(self.s3, self.bucket) if bucket_exists else None
        return bucket_policy.choose_publisher(self.settings.publisher_arn, existing, self.caller_arn)

    # -- run ---------------------------------------------------------------------------------------------
    def preflight(self) -> None:
        """What needs AWS to check but changes nothing: run before any upload, and by --dry-run."""
        if "GitLabTokenSecretArn" in self.settings.given:
            with step("checking the GitLab token secret", "secretsmanager"):
                check_token_secret(
                    self.secrets, self.settings.given["GitLabTokenSecretArn"], str(self.region), self.log
                )

    def run(self) -> dict[str, str]:
        results: dict[str, str] = {}
        settings = self.settings
        self.preflight()
        self.log(f"[1/{STEPS}] Artifacts bucket s3://{self.bucket}")
        with step("preparing the artifacts bucket", "s3"):
            exists = artifact_store.bucket_exists(self.s3, self.bucket)
            publisher = self.publisher_arn(exists)
            if exists:
                results["bucket"] = "exists"
                artifact_store.ensure_versioning(self.s3, self.bucket, self.log)
                bucket_policy.ensure_policy(self.s3, self.bucket, publisher, self.log)
            else:
                artifact_store.create_bucket(self.s3, self.bucket, str(self.region), publisher)
                results["bucket"] = "created"
            self.log(f"  {results['bucket']}; only {publisher} may write to it")
        self.log(f"[2/{STEPS}] Version {settings.version} → s3://{self.bucket}/{self.prefix}/")
        with step("uploading the version", "s3"):
            plan = uploads.plan_uploads(self.s3, self.bucket, self.prefix, settings.manifest)
            versions = uploads.upload_version(self.s3, self.bucket, settings.directory, plan, self.log)
        results["upload"] = (
            "unchanged" if all(u.state == "unchanged" for u in plan if u.sha256) else "uploaded"
        )
        self.log(f"[3/{STEPS}] Project template with the Lambda code versions pinned")
        template = self.pinned_template(versions)
        with step("uploading the project template", "s3"):
            uploads.put_once(self.s3, self.bucket, f"{self.prefix}/{TEMPLATE}", template, self.log)
            manifest = (settings.directory / MANIFEST).read_bytes()
            if json.loads(manifest) != settings.manifest:
                raise PublishError(
                    f"{settings.directory / MANIFEST} changed during publish; rerun scripts/publish"
                )
            uploads.put_marker(self.s3, self.bucket, f"{self.prefix}/{MANIFEST}", manifest, self.log)
        product_id = self.deploy_platform_stack(results)
        self.add_product_version(product_id, results)
        self.log(f"[6/{STEPS}] S3-hosted SageMaker project template")
        if settings.skip_s3_template:
            results["s3_template"] = "skipped"
            self.log("  skipped (--skip-s3-template)")
        else:
            with step("publishing the S3-hosted project template", "s3"):
                results["s3_template"] = uploads.publish_project_template(
                    self.s3, self.bucket, self.template_key, template
                )
            self.log(f"  s3://{self.bucket}/{self.template_key}  {results['s3_template']}")
        return results

    def pinned_template(self, versions: dict[str, str]) -> bytes:
        """The packaged project template (checked against the manifest) with the code versions baked in:
        provisioning artifacts are templates, and a version a user could pass would not be a pin."""
        facts = self.settings.manifest["artifacts"][TEMPLATE]
        text = uploads.checked_body(self.settings.directory, TEMPLATE, str(facts["sha256"])).decode()
        try:
            pinned = pin_code_versions(text, versions)
        except RenderError as error:
            raise PublishError(
                f"{self.settings.directory / TEMPLATE}: {error}; rerun scripts/package"
            ) from error
        for artifact in sorted(PINNED_CODE):
            self.log(f"  {artifact} pinned to version {versions[artifact]}")
        return pinned.encode()

    def deploy_platform_stack(self, results: dict[str, str]) -> str:
        settings = self.settings
        self.log(f"[4/{STEPS}] Platform stack {settings.stack}")
        with step("creating or updating the platform stack", "cloudformation"):
            status = stack_progress.stack_status(self.cfn, settings.stack)
            creating = status in (None, "ROLLBACK_COMPLETE")
            if creating and "ExistingOidcProviderArn" not in settings.given and "GitLabUrl" in settings.given:
                with step("looking for an existing GitLab OIDC provider", "iam"):
                    found = find_oidc_provider(self.iam, gitlab_host(settings.given["GitLabUrl"]))
                if found:
                    self.log(f"  reusing the account's OIDC provider {found}")
                    settings.given["ExistingOidcProviderArn"] = found
            parameters = stack_parameters(settings, self.bucket, self.url(TEMPLATE), creating=creating)
            results["stack"] = stack_progress.deploy_stack(
                self.cfn,
                settings.stack,
                self.url(PLATFORM_TEMPLATE),
                parameters if creating else [],
                [] if creating else parameters,
                tags=[{"Key": "sagemaker-gitlab:component", "Value": "platform"}],
                log=self.log,
                poll_seconds=settings.poll_seconds,
                timeout_seconds=settings.timeout_seconds,
            )
            outputs: dict[str, Any] = stack_progress.stack_outputs(self.cfn, settings.stack)
        return str(outputs.get("ProductId") or "")

    def add_product_version(self, product_id: str, results: dict[str, str]) -> None:
        self.log(f"[5/{STEPS}] Service Catalog product version {self.settings.version}")
        if not product_id:
            results["product_version"] = "skipped"
            self.log(
                "  WARNING: the platform stack reports no ProductId output, so this CloudFormation endpoint did not "
                "create the Service Catalog product; no product version was added (the S3-hosted template below "
                "still works)"
            )
            return
        results["product_id"] = product_id
        with step("adding the product version", "servicecatalog"):
            results["product_version"] = service_catalog.ensure_version(
                self.sc,
                product_id,
                self.settings.version,
                self.url(TEMPLATE),
                self.log,
                self.settings.deprecate_previous,
            )
