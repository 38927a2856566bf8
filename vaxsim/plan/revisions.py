"""Revisions of a campaign's plan: every plan of one campaign shares its ``plan_id``; each new
plan is the next revision and names the bundle it supersedes.

*The same campaign* is the scenario's ``campaign.name``: the optimizer's ``plan_id`` is that
name made a valid id (:func:`campaign_plan_id`). *The same plan* is the same inputs: scenario
file, optimizer options and, for a re-plan, the simulated state, summed up in
``scenario.inputs_sha256``. So a plan of a changed scenario, with other options or from a later
simulated state (a digital-twin re-plan) is a new revision of the campaign's plan; the same
inputs give the same revision again.

Where revisions come from: ``vaxsim optimize -o DIR`` numbers a plan after the campaign's
bundles already in DIR (:func:`in_folder`), and the digital twin makes each re-plan the next
revision of the plan it replaces (:func:`revise`). A revision starts as ``draft``; approval is
recorded in the plan database (:mod:`vaxsim.plan.database.lifecycle`), never by editing a
written bundle, whose checksums must stay valid.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vaxsim.plan.bundle import bundle_name
from vaxsim.plan.ids import plan_id
from vaxsim.plan.manifest import MANIFEST
from vaxsim.plan.plan import Plan

_BUNDLE = re.compile(r"^plan-(?P<plan_id>[A-Za-z0-9\-.]{1,64})-r(?P<revision>[0-9]+)$")


def campaign_plan_id(campaign_name: str) -> str:
    """The ``plan_id`` of every plan of the campaign named ``campaign_name``."""
    return plan_id(campaign_name)


@dataclass(frozen=True)
class WrittenRevision:
    """A revision already written as a bundle: its folder and what its manifest says."""

    path: Path
    plan_id: str
    revision: int
    inputs_sha256: str | None
    supersedes: str | None


def _written(path: Path) -> WrittenRevision | None:
    try:
        manifest: dict[str, Any] = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        return WrittenRevision(
            path,
            str(manifest["plan_id"]),
            int(manifest["revision"]),
            (manifest.get("scenario") or {}).get("inputs_sha256"),
            manifest.get("supersedes"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a complete bundle: not a revision


def written_revisions(folder: str | os.PathLike[str], plan_id: str) -> list[WrittenRevision]:
    """The bundles of ``plan_id`` in ``folder``, by revision."""
    found = []
    for path in Path(folder).glob(f"plan-{plan_id}-r*"):
        match = _BUNDLE.match(path.name)
        if match and match["plan_id"] == plan_id and path.is_dir():
            written = _written(path)
            if written is not None and written.plan_id == plan_id:
                found.append(written)
    return sorted(found, key=lambda written: written.revision)


def revise(plan: Plan, previous_plan_id: str, previous_revision: int) -> Plan:
    """``plan`` as the next revision after ``previous_plan_id`` r``previous_revision``: same plan
    id, revision + 1, superseding that bundle, status draft."""
    return replace(
        plan,
        plan_id=previous_plan_id,
        revision=int(previous_revision) + 1,
        supersedes=bundle_name(previous_plan_id, int(previous_revision)),
        status="draft",
    )


def revision_in_folder(folder: str | os.PathLike[str], plan_id: str, inputs_sha256: str | None) -> int:
    """The revision a plan of ``plan_id`` made from ``inputs_sha256`` gets in ``folder`` (see
    :func:`in_folder`), known before the plan is made."""
    written = written_revisions(folder, plan_id)
    same = _same_inputs(written, inputs_sha256)
    if same is not None:
        return same.revision
    return written[-1].revision + 1 if written else 1


def _same_inputs(written: list[WrittenRevision], inputs_sha256: str | None) -> WrittenRevision | None:
    """The latest of ``written`` made from ``inputs_sha256`` (``None`` when there is none)."""
    same = [w for w in written if inputs_sha256 is not None and w.inputs_sha256 == inputs_sha256]
    return same[-1] if same else None


def in_folder(plan: Plan, folder: str | os.PathLike[str]) -> Plan:
    """``plan`` numbered after the campaign's bundles in ``folder``: revision 1 when there are
    none, the same revision as a bundle made from the same inputs, else the next revision
    superseding the latest."""
    written = written_revisions(folder, plan.plan_id)
    if not written:
        return plan
    same = _same_inputs(written, plan.scenario.get("inputs_sha256"))
    if same is not None:
        return replace(plan, revision=same.revision, supersedes=same.supersedes)
    return revise(plan, plan.plan_id, written[-1].revision)
