"""The policies section: the rules the campaign runs by."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, model_validator

from vaxsim.scenario.base import Id, ScenarioModel, Share


class SecondDoseReserve(ScenarioModel):
    """Whether first doses may use stock needed for the next doses.

    ``hold_back``: keep ``share`` of each delivery for the next dose of the people it starts;
    ``none``: use everything for whoever is due (next doses still come first when due).
    """

    rule: Literal["hold_back", "none"] = "hold_back"
    share: Share = 0.5


class OpenVial(ScenarioModel):
    """When vials are opened and discarded.

    A vial is opened for the first person of a session who needs it; left-over doses are
    discarded at the end of its in-use time or of the session. Late in a session (the last
    ``late_minutes``) a new vial is opened only for at least ``min_people_late`` waiting people.
    """

    discard_at_session_end: bool = True
    late_minutes: Annotated[float, Field(ge=0)] = 0.0
    min_people_late: Annotated[int, Field(ge=1)] = 1


class Mixing(ScenarioModel):
    """Whether a next dose may be of another product (``pairs``: first product → next product)."""

    allowed: bool = False
    pairs: list[tuple[Id, Id]] = Field(default_factory=list)


class Policies(ScenarioModel):
    """Allocation and site rules."""

    allocation: Literal["pro_rata", "priority_first", "plan"] = "priority_first"
    plan: str | None = Field(
        default=None,
        description="Plan bundle path when allocation is 'plan' (relative to the scenario file).",
    )
    second_dose_reserve: SecondDoseReserve = Field(default_factory=SecondDoseReserve)
    open_vial: OpenVial = Field(default_factory=OpenVial)
    mixing: Mixing = Field(default_factory=Mixing)
    appointment_slot_minutes: Annotated[int, Field(ge=5, le=720)] = 30
    booking_horizon_days: Annotated[int, Field(ge=1, le=60)] = 7

    #: Folder of the file that states ``plan`` (set by :func:`vaxsim.load`; not part of the
    #: scenario's content or hash).
    _folder: str | None = PrivateAttr(default=None)

    def plan_path(self) -> Path | None:
        """The plan bundle's path, resolved against the folder of the scenario file that names
        it (the working directory for a scenario built in Python or a ``--set`` override)."""
        if not self.plan:
            return None
        return Path(self._folder) / self.plan if self._folder else Path(self.plan)

    @property
    def plan_folder(self) -> str | None:
        """The folder ``plan`` is relative to (``None``: the working directory)."""
        return self._folder

    def with_plan_folder(self, folder: str | None) -> None:
        """Record the folder ``plan`` is relative to (called by the loader)."""
        self._folder = folder

    @model_validator(mode="after")
    def _plan_given(self) -> Policies:
        if self.allocation == "plan" and not self.plan:
            raise ValueError("allocation 'plan' needs policies.plan (path of a plan bundle)")
        return self
