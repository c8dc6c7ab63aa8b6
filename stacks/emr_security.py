"""The EMR security configuration document: encryption at rest (S3 and local disks), in transit
when a certificate zip is configured, and IMDSv2 on every node."""

from __future__ import annotations

IMDS_VERSION = 2
# Spark on YARN runs on the host network: one hop is enough, and containers cannot reach IMDS.
IMDS_HOP_LIMIT = 1


def security_configuration(*, disk_key_arn: str, s3_key_arn: str | None, tls_certificates_s3_uri: str | None) -> dict:
    """`s3_key_arn` None means SSE-S3; `tls_certificates_s3_uri` None leaves in-transit TLS off."""
    s3_encryption = (
        {"EncryptionMode": "SSE-KMS", "AwsKmsKey": s3_key_arn} if s3_key_arn else {"EncryptionMode": "SSE-S3"}
    )
    encryption = {
        "EnableAtRestEncryption": True,
        "AtRestEncryptionConfiguration": {
            "S3EncryptionConfiguration": s3_encryption,
            "LocalDiskEncryptionConfiguration": {
                "EncryptionKeyProviderType": "AwsKms",
                "AwsKmsKey": disk_key_arn,
                "EnableEbsEncryption": True,
            },
        },
        "EnableInTransitEncryption": bool(tls_certificates_s3_uri),
    }
    if tls_certificates_s3_uri:
        encryption["InTransitEncryptionConfiguration"] = {
            "TLSCertificateConfiguration": {"CertificateProviderType": "PEM", "S3Object": tls_certificates_s3_uri},
        }
    return {
        "EncryptionConfiguration": encryption,
        "InstanceMetadataServiceConfiguration": {
            "MinimumInstanceMetadataServiceVersion": IMDS_VERSION,
            "HttpPutResponseHopLimit": IMDS_HOP_LIMIT,
        },
    }
