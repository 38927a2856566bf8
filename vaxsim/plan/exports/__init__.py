"""Exports of a checked plan bundle for operational systems: SMART Scheduling Links, FHIR R4
NDJSON and DHIS2 data value sets.

Exports are derived files: they are written outside the bundle (default
``<bundle>-exports/<kind>/`` beside it) and are not covered by the bundle's manifest checksums;
re-create them from the bundle whenever needed. A bundle that fails :func:`vaxsim.plan.check`
is never exported.
"""

from __future__ import annotations

import os
from pathlib import Path

from vaxsim.io.atomic import Destination
from vaxsim.plan.exports.common import ExportError, default_output, load_checked
from vaxsim.plan.exports.dhis2 import load_mapping, load_org_units, write_dhis2
from vaxsim.plan.exports.fhir import BOOKING_URL, write_fhir
from vaxsim.plan.exports.ssl import write_ssl

KINDS = ("ssl", "fhir", "dhis2")


def export(
    bundle: str | os.PathLike[str],
    kind: str,
    output: str | os.PathLike[str] | None = None,
    *,
    mapping: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    booking_url: str = BOOKING_URL,
    replace: bool = False,
    org_units: str | os.PathLike[str] | None = None,
) -> Path:
    """Export the bundle at ``bundle`` as ``kind`` (``ssl``, ``fhir`` or ``dhis2``) into
    ``output`` (default ``<bundle>-exports/<kind>/``); return the folder written.

    ``mapping``: DHIS2 mapping YAML (default: the shipped ``dhis2_mapping.yaml``). ``base_url``:
    where the SMART Scheduling Links files will be served (default: a placeholder under
    ``https://vaxsim.invalid/``). ``booking_url``: the sites' booking page. ``org_units``: DHIS2
    org-unit UID file (CSV ``org_unit,uid``, see :func:`~vaxsim.plan.exports.dhis2.load_org_units`).
    ``replace``: swap out an existing export folder that vaxsim wrote, once the new one is
    complete. Raises :class:`ExportError` when the bundle fails the checker or an option is
    wrong, and :class:`~vaxsim.io.atomic.OutputError` when ``output`` exists (without
    ``replace``), was not written by vaxsim, or cannot be written.
    """
    if kind not in KINDS:
        raise ExportError(f"unknown export {kind!r} (one of {', '.join(KINDS)})")
    target = Path(output) if output is not None else default_output(bundle, kind)
    destination = Destination(target, replace=replace)  # before any work: exists, not vaxsim's
    dhis2_mapping = load_mapping(mapping) if kind == "dhis2" else None
    uids = load_org_units(org_units) if kind == "dhis2" and org_units is not None else None
    plan, manifest = load_checked(bundle)
    with destination.writing() as folder:
        if kind == "fhir":
            write_fhir(plan, folder, booking_url)
        elif kind == "ssl":
            url = base_url or f"https://vaxsim.invalid/{Path(bundle).resolve().name}/ssl/"
            write_ssl(
                plan, folder, base_url=url, transaction_time=manifest["generated_at"], booking_url=booking_url
            )
        else:
            write_dhis2(plan, folder, dhis2_mapping, completed=manifest["generated_at"], uids=uids)
    return destination.path


__all__ = ["KINDS", "ExportError", "export"]
