"""What every export shares: a checked bundle, instants with offsets, NDJSON files, the output folder."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from vaxsim.io.input_file import read_bundle_text
from vaxsim.plan.errors import PlanError, PlanRefused
from vaxsim.plan.plan import Plan


class ExportError(PlanError):
    """A bundle cannot be exported (it fails the checker, or an option is wrong)."""


def load_checked(bundle: str | os.PathLike[str]) -> tuple[Plan, dict[str, Any]]:
    """The plan of a bundle that passes :func:`vaxsim.plan.check`, and its manifest.

    Raises :class:`ExportError` listing the violations otherwise: an export never publishes
    slots from a plan that is not sound.
    """
    from vaxsim.plan.checked import read_checked

    try:
        plan = read_checked(bundle)
    except PlanRefused as refused:
        raise ExportError(str(refused).replace("it is not used", "not exported")) from None
    manifest = json.loads(read_bundle_text(bundle, "manifest.json"))
    return plan, manifest


def local_instant(date: str, clock: str, zone: str) -> str:
    """RFC 3339 instant with offset of a local date and ``HH:MM`` in an IANA zone."""
    moment = dt.datetime.combine(dt.date.fromisoformat(date), dt.time.fromisoformat(clock), ZoneInfo(zone))
    return moment.isoformat()


def ndjson(resources: Iterable[dict[str, Any]]) -> str:
    """One compact JSON document per line (UTF-8 text, final newline when not empty)."""
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in resources)


def default_output(bundle: str | os.PathLike[str], kind: str) -> Path:
    """``<bundle>-exports/<kind>/`` beside the bundle: exports are derived files and are kept out
    of the bundle, whose manifest checksums would not cover them."""
    bundle = Path(bundle).resolve()
    return bundle.parent / f"{bundle.name}-exports" / kind
