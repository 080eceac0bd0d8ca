"""Service Catalog product versions (provisioning artifacts).

The platform stack creates the product with its first version and keeps that version's parameters on
every update, so CloudFormation never replaces a version that projects use. Later versions are added
here with ``CreateProvisioningArtifact``: one per published version, never twice (a version whose name
exists is accepted only if it points at the same immutable template URL). Older versions are marked
DEPRECATED: existing projects keep and can update them, new projects get the newest.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from release.aws_errors import PublishError

if TYPE_CHECKING:
    from mypy_boto3_servicecatalog import ServiceCatalogClient
else:
    ServiceCatalogClient = Any

Log = Callable[[str], None]


@dataclass(frozen=True)
class Artifact:
    artifact_id: str
    name: str
    active: bool
    guidance: str


def list_artifacts(sc: ServiceCatalogClient, product_id: str) -> list[Artifact]:
    details = sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]
    return [
        Artifact(
            str(detail["Id"]),
            str(detail.get("Name", "")),
            bool(detail.get("Active", True)),
            str(detail.get("Guidance", "DEFAULT")),
        )
        for detail in details
    ]


def template_url_of(sc: ServiceCatalogClient, product_id: str, artifact_id: str) -> str:
    described = sc.describe_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=artifact_id)
    return str(described.get("Info", {}).get("TemplateUrl", ""))


def idempotency_token(product_id: str, version: str, template_url: str) -> str:
    return hashlib.sha256(f"{product_id}|{version}|{template_url}".encode()).hexdigest()[:64]


def ensure_version(
    sc: ServiceCatalogClient,
    product_id: str,
    version: str,
    template_url: str,
    log: Log,
    deprecate_previous: bool = True,
) -> str:
    """Make ``version`` a provisioning artifact of the product; return ``added`` or ``unchanged``."""
    artifacts = list_artifacts(sc, product_id)
    same_name = [artifact for artifact in artifacts if artifact.name == version]
    if same_name:
        existing_url = template_url_of(sc, product_id, same_name[0].artifact_id)
        if existing_url != template_url:
            raise PublishError(
                f"product {product_id} already has a version {version} from another template "
                f"({existing_url}); bump the version and rerun"
            )
        outcome, current_id = "unchanged", same_name[0].artifact_id
        log(f"  Service Catalog version {version} already exists ({current_id})")
    else:
        created = sc.create_provisioning_artifact(
            ProductId=product_id,
            Parameters={
                "Name": version,
                "Description": f"Version {version}",
                "Info": {"LoadTemplateFromURL": template_url},
                "Type": "CLOUD_FORMATION_TEMPLATE",
                "DisableTemplateValidation": False,
            },
            IdempotencyToken=idempotency_token(product_id, version, template_url),
        )
        outcome, current_id = "added", str(created["ProvisioningArtifactDetail"]["Id"])
        log(f"  Service Catalog version {version} added ({current_id})")
    if deprecate_previous:
        for artifact in artifacts:
            if artifact.artifact_id != current_id and artifact.active and artifact.guidance != "DEPRECATED":
                sc.update_provisioning_artifact(
                    ProductId=product_id, ProvisioningArtifactId=artifact.artifact_id, Guidance="DEPRECATED"
                )
                log(f"  version {artifact.name} marked DEPRECATED (existing projects keep it)")
    return outcome
