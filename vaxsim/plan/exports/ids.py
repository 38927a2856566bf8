"""FHIR resource ids from plan ids: the same plan id always gives the same FHIR id, so a
re-export updates resources instead of duplicating them."""

from __future__ import annotations

import hashlib
import re

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_OUTSIDE = re.compile(r"[^A-Za-z0-9\-.]")


def fhir_id(*parts: object) -> str:
    """A FHIR id (``[A-Za-z0-9\\-.]{1,64}``) for the natural key ``parts`` joined with ``-``.

    Kept readable when it already fits; otherwise characters outside the rule become ``-`` and
    the id ends in 10 hex digits of the key's SHA-256, so two keys never share an id.
    """
    text = "-".join(str(part) for part in parts)
    if FHIR_ID.match(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    clean = _OUTSIDE.sub("-", text)[:53].rstrip("-") or "id"
    return f"{clean}-{digest}"
