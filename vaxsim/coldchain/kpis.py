"""Daily KPI arrays of a cold-chain run and the tidy tables built from them.

:class:`DailyRecord` keeps, per day, dense arrays small enough for a national run (stock by
store and product, litres by store and class, waste by cause and product, sessions by district
and product, litres per link). :class:`ColdChainResults` turns them, with the ledger, into
pandas tables with dates and ids. Units: doses, people, litres, days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vaxsim.coldchain.ledger import CAUSES, EVENTS, verify_table
from vaxsim.coldchain.network import Network
from vaxsim.coldchain.room import litres_by_class
from vaxsim.coldchain.temperature import CLASSES
from vaxsim.columns import labels
from vaxsim.numeric import sum_by

if TYPE_CHECKING:
    from vaxsim.coldchain.chain import ColdChain, SessionOutcome


@dataclass
class DailyRecord:
    """Arrays indexed by day first: ``stock[day, store, product]`` doses on hand at day end,
    ``litres[day, store, class]`` occupied, ``in_transit[day, product]`` doses on the road,
    ``waste[day, cause, product]`` doses, ``given``/``short``/``turned_away``/``vials``
    ``[day, district, product]`` from sessions, ``link_litres[day, link]`` loaded."""

    stock: np.ndarray
    litres: np.ndarray
    in_transit: np.ndarray
    waste: np.ndarray
    given: np.ndarray
    short: np.ndarray
    turned_away: np.ndarray
    vials: np.ndarray
    link_litres: np.ndarray
    last_day: int = -1

    @classmethod
    def empty(cls, days: int, network: Network, districts: int, products: int) -> DailyRecord:
        def people() -> np.ndarray:
            return np.zeros((days, districts, products), dtype=np.int32)

        return cls(
            stock=np.zeros((days, network.nodes, products), dtype=np.int64),
            litres=np.zeros((days, network.nodes, len(CLASSES))),
            in_transit=np.zeros((days, products), dtype=np.int64),
            waste=np.zeros((days, len(CAUSES), products), dtype=np.int64),
            given=people(),
            short=people(),
            turned_away=people(),
            vials=people(),
            link_litres=np.zeros((days, network.links)),
        )

    def add_sessions(self, day: int, outcome: SessionOutcome) -> None:
        districts, products = self.given.shape[1:]
        for name in ("given", "short", "turned_away", "vials"):
            getattr(self, name)[day] += outcome.by_district(name, districts, products).astype(np.int32)

    def snapshot(self, day: int, chain: ColdChain) -> None:
        """Stock, litres and in-transit doses at the end of ``day``."""
        h, lots, net = chain.stock, chain.lots, chain.network
        products = lots.products
        product = lots.product[h.lot]
        self.stock[day] = np.bincount(
            h.node * products + product, weights=h.doses, minlength=net.nodes * products
        ).reshape(net.nodes, products)
        self.litres[day] = litres_by_class(
            net.nodes, h.node, lots.storage_class_of(h.lot, h.thaw), lots.litres(h.lot, h.doses)
        )
        t = chain.transit
        self.in_transit[day] = sum_by(lots.product[t.lot], t.doses, products)
        self.last_day = day


class ColdChainResults:
    """Tidy tables of a run (days simulated so far). Dates are local calendar dates."""

    def __init__(self, chain: ColdChain):
        self.chain = chain
        self.record = chain.record
        self.network = chain.network
        self.lots = chain.lots
        self.days = chain.record.last_day + 1
        self.dates = chain.model.dates[: self.days]
        self.district_ids = chain.model.districts.id.to_numpy(dtype=object)
        self.province_ids = chain.model.provinces.id.to_numpy(dtype=object)
        self._ledger: pd.DataFrame | None = None  # built once: verify() and the tables share it

    # ---- ledger and stock ------------------------------------------------------------------

    def ledger(self) -> pd.DataFrame:
        """Every event: date, day, store, level, lot, product, event (received / shipped /
        administered / wasted), cause (waste only), partner (other store; '' for deliveries
        and sessions), doses."""
        if self._ledger is None:
            self._ledger = self._ledger_table()
        return self._ledger

    def _ledger_table(self) -> pd.DataFrame:
        e = self.chain.ledger.events()
        day, node, lot, event, cause, partner, doses = e.T
        return pd.DataFrame({
            "date": self.chain.model.dates[day],
            "day": day,
            "store": labels(self.network.ids, node),
            "level": labels(self.network.level, node),
            "lot": labels(self.lots.ids, lot),
            "product": labels(self.lots.product_ids, self.lots.product[lot]),
            "event": labels(EVENTS, event),
            "cause": labels([*CAUSES, ""], cause),
            "partner": labels([*self.network.ids, ""], partner),
            "doses": doses,
        })

    def stock_on_hand(self) -> pd.DataFrame:
        """Stock at the end: store, lot, product, owner (district id; '' = free), thawed (bool),
        use_by (date), doses."""
        h, lots = self.chain.stock, self.lots
        rows = h.select(np.ones(len(h), dtype=bool))
        use_by = lots.use_by(h.lot[rows], h.thaw[rows])
        start = self.chain.model.dates[0]
        return pd.DataFrame({
            "store": self.network.ids[h.node[rows]],
            "lot": lots.ids[h.lot[rows]],
            "product": lots.product_ids[lots.product[h.lot[rows]]],
            "owner": np.append(self.district_ids, "")[h.owner[rows]],
            "thawed": h.thaw[rows] < 2**39,
            "use_by": (start + pd.to_timedelta(use_by, unit="D")).date,
            "doses": h.doses[rows],
        })

    def in_transit(self) -> pd.DataFrame:
        """Shipments on the road at the end: from, to, lot, owner (district id; '' = free), doses,
        departed, arrives (dates)."""
        t, net = self.chain.transit, self.network
        start = self.chain.model.dates[0]
        return pd.DataFrame({
            "from": net.ids[net.link_from[t.link]],
            "to": net.ids[net.link_to[t.link]],
            "lot": self.lots.ids[t.lot],
            "owner": np.append(self.district_ids, "")[t.owner],
            "doses": t.doses,
            "departed": (start + pd.to_timedelta(t.depart, unit="D")).date,
            "arrives": (start + pd.to_timedelta(t.arrive, unit="D")).date,
        })

    def verify(self) -> None:
        """Conservation from the tidy ledger and end stock alone (independent of running totals)."""
        verify_table(self.ledger(), self.stock_on_hand())

    # ---- stock over time -------------------------------------------------------------------

    def _stock_by(self, group: np.ndarray, names: np.ndarray, column: str) -> pd.DataFrame:
        stock = self.record.stock[: self.days]  # [day, node, product]
        keep = group >= 0
        groups = len(names)
        summed = np.zeros((self.days, groups, self.lots.products), dtype=np.int64)
        np.add.at(summed, (slice(None), group[keep]), stock[:, keep])
        day, g, p = np.meshgrid(np.arange(self.days), np.arange(groups), np.arange(self.lots.products),
                                indexing="ij")
        return pd.DataFrame({
            "date": self.dates[day.ravel()],
            column: names[g.ravel()],
            "product": self.lots.product_ids[p.ravel()],
            "doses": summed.ravel(),
        })

    def stock_by_level(self) -> pd.DataFrame:
        """Doses on hand at day end per store level and product, plus level ``in_transit``."""
        levels, group = np.unique(self.network.level.astype(str), return_inverse=True)
        table = self._stock_by(group, levels.astype(object), "level")
        moving = self.record.in_transit[: self.days]
        day, p = np.meshgrid(np.arange(self.days), np.arange(self.lots.products), indexing="ij")
        road = pd.DataFrame({"date": self.dates[day.ravel()], "level": "in_transit",
                             "product": self.lots.product_ids[p.ravel()], "doses": moving.ravel()})
        return pd.concat([table, road], ignore_index=True)

    def stock_by_province(self) -> pd.DataFrame:
        """Doses on hand at day end in each province's stores (provincial and district)."""
        return self._stock_by(self.network.province, self.province_ids, "province")

    def stock_by_store(self, stores: list[str] | None = None) -> pd.DataFrame:
        """Doses on hand at day end per store and product (non-zero rows; ``stores`` filters)."""
        stock = self.record.stock[: self.days]
        day, node, product = np.nonzero(stock)
        table = pd.DataFrame({
            "date": self.dates[day],
            "store": labels(self.network.ids, node),
            "level": labels(self.network.level, node),
            "product": labels(self.lots.product_ids, product),
            "doses": stock[day, node, product],
        })
        return table if stores is None else table[table.store.isin(stores)].reset_index(drop=True)

    def days_of_stock(self, window: int = 7) -> pd.DataFrame:
        """Per district, product and day: doses on hand at the district store (earmarked for the
        district), mean doses given per day over the last ``window`` days, and their ratio in
        days (NaN when nothing was given)."""
        given = self.record.given[: self.days].astype(float)
        kernel_sum = np.cumsum(given, axis=0)
        shifted = np.zeros_like(kernel_sum)
        shifted[window:] = kernel_sum[:-window] if self.days > window else 0
        span = np.minimum(np.arange(1, self.days + 1), window)[:, None, None]
        daily = (kernel_sum - shifted) / span
        on_hand = self.record.stock[: self.days][:, self.network.district_node]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(daily > 0, on_hand / daily, np.nan)
        day, k, p = np.nonzero((on_hand > 0) | (daily > 0))
        return pd.DataFrame({
            "date": self.dates[day],
            "district": labels(self.district_ids, k),
            "product": labels(self.lots.product_ids, p),
            "on_hand": on_hand[day, k, p],
            "daily_use": daily[day, k, p],
            "days_of_stock": ratio[day, k, p],
        })

    # ---- waste, stock-outs, capacity -------------------------------------------------------

    def wastage(self) -> pd.DataFrame:
        """Doses wasted per day, product and cause (non-zero rows)."""
        waste = self.record.waste[: self.days]
        day, cause, product = np.nonzero(waste)
        return pd.DataFrame({
            "date": self.dates[day],
            "product": self.lots.product_ids[product],
            "cause": np.array(CAUSES, dtype=object)[cause],
            "doses": waste[day, cause, product],
        })

    def wastage_by_store(self) -> pd.DataFrame:
        """Doses wasted per store, product and cause over the run."""
        ledger = self.ledger()
        wasted = ledger[ledger.event == "wasted"]
        return wasted.groupby(["store", "level", "product", "cause"], as_index=False).doses.sum()

    def wastage_summary(self) -> pd.DataFrame:
        """Per product: doses drawn for sessions, given, wasted by cause, and the shares."""
        rec = self.record
        given = rec.given[: self.days].sum(axis=(0, 1)).astype(np.int64)
        waste = rec.waste[: self.days].sum(axis=0)  # [cause, product]
        table = pd.DataFrame({"product": self.lots.product_ids, "given": given})
        for c, cause in enumerate(CAUSES):
            table[cause] = waste[c]
        table["wasted"] = waste.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            table["open_vial_share"] = table.open_vial / (table.given + table.open_vial)
            table["wasted_share"] = table.wasted / (table.given + table.wasted)
        return table

    def stock_outs(self) -> pd.DataFrame:
        """People not vaccinated at their session for lack of doses (``short``) and late people
        turned away by the opening threshold, per day, district and product (non-zero rows)."""
        short = self.record.short[: self.days]
        away = self.record.turned_away[: self.days]
        day, k, p = np.nonzero((short > 0) | (away > 0))
        return pd.DataFrame({
            "date": self.dates[day],
            "district": self.district_ids[k],
            "product": self.lots.product_ids[p],
            "short": short[day, k, p].astype(np.int64),
            "turned_away": away[day, k, p].astype(np.int64),
        })

    def utilisation(self) -> pd.DataFrame:
        """Per store and temperature class with stock or capacity: capacity (litres, inf =
        unlimited), mean and peak litres held at day end, peak utilisation, days over capacity."""
        litres = self.record.litres[: self.days]
        capacity = self.network.capacity
        node, cls = np.nonzero((litres.max(axis=0, initial=0) > 0) | (np.isfinite(capacity) & (capacity > 0)))
        held = litres[:, node, cls]
        cap = capacity[node, cls]
        with np.errstate(divide="ignore", invalid="ignore"):
            peak_share = np.where(cap > 0, held.max(axis=0, initial=0) / cap, np.inf)
        return pd.DataFrame({
            "store": self.network.ids[node],
            "level": self.network.level[node],
            "class": np.array(CLASSES, dtype=object)[cls],
            "capacity_litres": cap,
            "mean_litres": held.mean(axis=0) if self.days else 0.0,
            "peak_litres": held.max(axis=0, initial=0),
            "peak_utilisation": np.where(np.isinf(cap), 0.0, peak_share),
            "days_over_capacity": (held > cap * (1 + 1e-9)).sum(axis=0),
        })

    def overflow(self) -> pd.DataFrame:
        """Store-days holding more litres than the class capacity: date, store, class, litres,
        capacity, litres over."""
        litres = self.record.litres[: self.days]
        capacity = self.network.capacity
        day, node, cls = np.nonzero(litres > capacity[None] * (1 + 1e-9))
        return pd.DataFrame({
            "date": self.dates[day],
            "store": self.network.ids[node],
            "class": np.array(CLASSES, dtype=object)[cls],
            "litres": litres[day, node, cls],
            "capacity_litres": capacity[node, cls],
            "litres_over": litres[day, node, cls] - capacity[node, cls],
        })

    def transport(self) -> pd.DataFrame:
        """Loaded litres per link and day (non-zero rows), with trips and vehicle utilisation."""
        net = self.network
        litres = self.record.link_litres[: self.days]
        day, link = np.nonzero(litres > 0)
        cap = net.link_litres[link]
        loaded = litres[day, link]
        trips = np.where(net.on_demand[link] & np.isfinite(cap), np.ceil(loaded / cap - 1e-9), 1)
        return pd.DataFrame({
            "date": self.dates[day],
            "from": net.ids[net.link_from[link]],
            "to": net.ids[net.link_to[link]],
            "litres": loaded,
            "trips": trips.astype(np.int64),
            "capacity_litres_per_trip": cap,
            "utilisation": loaded / (trips * cap),
        })

    def summary(self) -> dict[str, int | float]:
        """Headline figures: doses delivered, given, wasted (by cause), on hand and in transit at
        the end, people short of vaccine, store-days over capacity."""
        rec, days = self.record, self.days
        waste = rec.waste[:days].sum(axis=(0, 2))
        figures: dict[str, int | float] = {
            "doses_delivered": int(self.chain.delivered.sum()),
            "doses_given": int(rec.given[:days].sum(dtype=np.int64)),
            "doses_wasted": int(waste.sum()),
        }
        figures.update({f"wasted_{cause}": int(waste[c]) for c, cause in enumerate(CAUSES)})
        figures.update({
            "doses_on_hand_at_end": int(self.chain.stock.doses.sum()),
            "doses_in_transit_at_end": int(self.chain.transit.doses.sum()),
            "people_short_of_vaccine": int(rec.short[:days].sum(dtype=np.int64)),
            "people_turned_away_by_vial_rule": int(rec.turned_away[:days].sum(dtype=np.int64)),
            "vials_opened": int(rec.vials[:days].sum(dtype=np.int64)),
            "store_days_over_capacity": int(len(self.overflow())),
        })
        return figures
