"""The largest quantities a scenario may state, in one place (the JSON Schema shows them).

They are far above any real campaign (a country's whole population, a year of global vaccine
output per delivery) and keep every count exactly representable: all sums of doses and people
stay below 2**53, where float64 sums of whole numbers are exact, and far below int64's range.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

#: People in one district, age band (and priority group).
MAX_PEOPLE = 1_000_000_000
#: Doses in one delivery.
MAX_DOSES = 1_000_000_000
#: Any capacity per day (doses, approvals, people on site).
MAX_PER_DAY = 10_000_000
#: Sites generated per district and site type.
MAX_GENERATED_SITES = 1_000
#: Sites in the whole scenario (listed and generated).
MAX_SITES = 200_000
#: Items of any list in the scenario file (deliveries, stores, links, sites, districts).
MAX_ITEMS = 200_000
#: All doses delivered, and all people, in one scenario: below 2**53 with room to spare.
MAX_TOTAL = 10**14
#: Litres of storage of one store and temperature class, and per link trip.
MAX_LITRES = 1e9
#: One service time, walk or session length, in minutes (a day).
MAX_MINUTES = 24 * 60.0
#: Campaign dates, deliveries and expiries lie between these.
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)

People = Annotated[int, Field(ge=0, le=MAX_PEOPLE)]
Doses = Annotated[int, Field(ge=1, le=MAX_DOSES)]
PerDay = Annotated[int, Field(ge=0, le=MAX_PER_DAY)]
Date = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
