"""When an appointment is and when its notice goes out: one rule for the optimizer, which
writes ``appointments``, and the checker, which holds a bundle to it (PLAN_FORMAT.md).

- The window is the whole session on its service date (a plan that books no slots), or one
  appointment slot of it: slots of ``slot_minutes`` from the session's start, the last one cut
  at the session's end.
- The SMS notice goes out the scenario's notification lead
  (``people.notification.lead_time_hours``) before the window opens.

Times are local wall-clock ``HH:MM`` and minutes of the day; instants are RFC 3339 with offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def notice_instant(window_start: datetime, lead_hours: float) -> datetime:
    """The instant the notice of a window opening at ``window_start`` (an aware datetime) goes
    out, in the window's zone. Elapsed hours, not wall-clock ones: a DST change in between
    does not move it."""
    elapsed = window_start.astimezone(UTC) - timedelta(hours=float(lead_hours))
    return elapsed.astimezone(window_start.tzinfo)


def window_problem(start: int, end: int, session: tuple[int, int], slot_minutes: float | None) -> str | None:
    """What is wrong with a window ``start``..``end`` (minutes of the day) in ``session`` (its
    start and end, minutes of the day) for slots of ``slot_minutes`` (None: any one length);
    None when it is the whole session or one slot of it."""
    first, last = session
    if (start, end) == (first, last):
        return None
    if slot_minutes is None:
        return None if first <= start < end <= last else "is not inside its session"
    offset = start - first
    if start < first or offset % slot_minutes or end != min(start + slot_minutes, last):
        return f"is neither the session nor one of its {slot_minutes:g}-minute slots"
    return None
