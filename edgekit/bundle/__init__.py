"""Bundles: one directory per export holding the model files and `edgekit.json`."""

from edgekit.bundle.manifest import (
    MANIFEST,
    SCHEMA_VERSION,
    BundleError,
    file_facts,
    read,
    sha256_file,
    verify,
    versions,
    write,
)

__all__ = ["MANIFEST", "SCHEMA_VERSION", "BundleError", "file_facts", "read", "sha256_file", "verify",
           "versions", "write"]
