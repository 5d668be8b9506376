"""Cited gene signatures: the bundled catalogue, user GMT sets, and GMT input/output."""

from tmeprog.signatures.catalogue import (
    COMPARTMENTS,
    USER_COMPARTMENT,
    Catalogue,
    Reference,
    Signature,
    load_catalogue,
)
from tmeprog.signatures.gmt import read_gmt, write_gmt

__all__ = ["COMPARTMENTS", "USER_COMPARTMENT", "Catalogue", "Reference", "Signature",
           "load_catalogue", "read_gmt", "write_gmt"]
