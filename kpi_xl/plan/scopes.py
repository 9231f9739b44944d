"""What the plan's formulas read, and how each measure of a KPI is summed.

**PlanData** is the canonical table aggregated (each measure by its catalog rule) to
period x scope x source x currency. A *scope* is a channel, or ``all``: a source's own
total - its rows not split by channel where it has them for a measure, else the sum of its
channel rows (never for whole-period measures such as reach and users, which cannot be
added across channels). Sources are written as safe ids (``google_ads``; a name of your
own such as ``My CRM`` becomes ``my_crm``), so that they can be formula criteria.

**Systems of record**: a site measure (``record: site`` in ``measures.yaml``: sessions,
key events, revenue, orders...) is read from one source only, chosen per measure from the
sources that report it by the kinds the catalog prefers (``systems``: the store's revenue
before GA4's), then by how many periods it covers; channel scopes choose among the sources
that split it by channel. Platform measures (cost, clicks, the platforms' conversions) are
read from every source in scope.

**Leaves**: each measure a KPI reads becomes a :class:`Leaf`, summed over the PlanData rows
of its scope and period that

* come from its system of record (site measures);
* also report every other measure of the KPI, when the KPI reads only platform measures
  ("same platform": a platform's own CPA or ROAS, never cost of one platform over
  conversions of another);
* for whole-period measures: exactly one row, else the KPI is blank.

The workbook's formulas (:mod:`kpi_xl.workbook.formulas`) and the Python model
(:mod:`kpi_xl.plan.model`) are both written from the leaves, so they cannot disagree.

**Currencies**: money is converted into the plan currency with the plan's exchange rates;
rows without a currency are in the plan currency. Money in a currency without a rate is
refused, naming the currencies and where they come from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from kpi_xl import periods as cal
from kpi_xl.catalog.records import KPI, measures
from kpi_xl.errors import KpiXlError
from kpi_xl.ingest.aggregate import aggregate, whole_gap, whole_rows
from kpi_xl.ingest.canonical import with_ranges

SCOPE_ALL = "all"
KEY_COLUMNS = ("period", "period_no", "scope", "source", "currency")
#: The source id of rows that do not name their source.
UNNAMED_SOURCE = "data"


@dataclass(frozen=True)
class Leaf:
    """How one measure of a KPI is summed in a scope and period (see the module doc)."""

    measure: str
    record: bool = False  # from the measure's system of record only
    matched: tuple[str, ...] = ()  # only rows that also report these measures
    whole: bool = False  # exactly one row, else blank


def leaves(kpi: KPI) -> dict[str, Leaf]:
    """The leaf of every measure the KPI reads (current and previous period alike)."""
    return _leaves(kpi.id)


@cache
def _leaves(kpi_id: str) -> dict[str, Leaf]:
    from kpi_xl.catalog.records import get

    kpi = get(kpi_id)
    catalog = measures()
    current = kpi.measures
    out: dict[str, Leaf] = {}
    for m in kpi.all_measures:
        measure = catalog[m]
        matched = tuple(o for o in current if o != m) if kpi.matched else ()
        out[m] = Leaf(m, record=measure.is_site, matched=matched, whole=measure.non_additive)
    return out


@dataclass(frozen=True)
class Record:
    """The system of record of a site measure: the source read for the ``all`` scope and
    for channel scopes (``""``: no source reports it), and the sources not read."""

    measure: str
    all: str
    channels: str
    others: tuple[str, ...] = ()


@dataclass
class PlanData:
    """The table formulas read, in the plan currency, with what it takes to write it."""

    table: pd.DataFrame  # KEY_COLUMNS, then measures (money in the plan currency)
    currency: str  # the plan currency
    rates: dict[str, float]  # exchange rates used, foreign currency -> plan currency
    native: dict[str, np.ndarray]  # money columns in each row's own currency
    records: dict[str, Record]
    source_names: dict[str, str]  # source id -> the source as the data names it
    whole: pd.DataFrame  # the rows reporting whole measures (ingest.aggregate.whole_rows)
    _index: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    _sums: dict[tuple[str, str, Leaf], tuple[float, int]] = field(default_factory=dict, repr=False)
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def column(self, name: str) -> np.ndarray:
        """A column of the table as an array (the table is not changed once built)."""
        if name not in self._columns:
            self._columns[name] = self.table[name].to_numpy()
        return self._columns[name]

    @property
    def measures(self) -> list[str]:
        return [c for c in self.table.columns if c not in KEY_COLUMNS]

    def rows(self, scope: str, period: str) -> np.ndarray:
        """Positions of the table's rows of a scope and period."""
        if not self._index:
            keys = self.table[["scope", "period"]].astype(str)
            groups = keys.groupby(["scope", "period"], sort=False).indices
            for key, positions in groups.items():
                parts: tuple[object, ...] = tuple(key)  # type: ignore[arg-type]
                self._index[(str(parts[0]), str(parts[1]))] = np.asarray(positions)
            self._index[("", "")] = np.zeros(0, dtype=np.int64)
        return self._index.get((scope, period), self._index[("", "")])

    def record_source(self, measure: str, scope: str) -> str:
        record = self.records.get(measure)
        if record is None:
            return ""
        return record.all if scope == SCOPE_ALL else record.channels

    def leaf_rows(self, leaf: Leaf, scope: str, period: str) -> np.ndarray:
        """The rows a leaf sums in a scope and period."""
        rows = self.rows(scope, period)
        if leaf.measure not in self.table.columns:
            return rows[:0]
        if leaf.record:
            source = self.record_source(leaf.measure, scope)
            rows = rows[self.column("source")[rows] == source]
        for other in leaf.matched:
            if other not in self.table.columns:
                return rows[:0]
            rows = rows[~np.isnan(self.column(other)[rows])]
        return rows

    def leaf_sum(self, leaf: Leaf, scope: str, period: str) -> tuple[float, int]:
        """(SUMIFS sum, count of reported values) of a leaf in a scope and period."""
        key = (scope, period, leaf)
        if key not in self._sums:
            rows = self.leaf_rows(leaf, scope, period)
            if leaf.measure not in self.table.columns or not len(rows):
                self._sums[key] = (0.0, 0)
            else:
                values = self.column(leaf.measure)[rows]
                reported = ~np.isnan(values)
                self._sums[key] = (float(values[reported].sum()), int(reported.sum()))
        return self._sums[key]

    def whole_gap(self, measure: str, scope: str, period: str) -> str | None:
        """Why a whole-period measure is blank in a scope and period (see
        :func:`kpi_xl.ingest.aggregate.whole_gap`; ``channels``: the ``all`` scope has only
        per-channel rows, which are never added up); None when it is not blank or no row
        reports it."""
        rows = self.whole[(self.whole["measure"] == measure) & (self.whole["period"] == period)]
        if measures()[measure].is_site:
            source = self.record_source(measure, scope)
            rows = rows[rows["source"] == source] if source else rows
        if scope == SCOPE_ALL:
            own = rows[rows["channel"] == SCOPE_ALL]
            return whole_gap(own) if len(own) else ("channels" if len(rows) else None)
        return whole_gap(rows[rows["channel"] == scope])


# -- building PlanData -----------------------------------------------------------------------


def source_id(name: str) -> str:
    """A source as PlanData writes it: lowercase letters, digits and ``_``."""
    text = re.sub(r"[^a-z0-9_]+", "_", str(name).casefold()).strip("_")
    return text or UNNAMED_SOURCE


def _source_ids(names: Iterable[str]) -> dict[str, str]:
    """Original name -> a distinct id (``my_crm``, ``my_crm_2`` when two names collide)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(set(names)):
        base = source_id(name)
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        out[name] = candidate
    return out


def money_measures() -> list[str]:
    return [m for m, measure in measures().items() if measure.unit == "currency"]


def check_currencies(
    frame: pd.DataFrame,
    currency: str,
    rates: Mapping[str, float],
    where: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Refuse money in a currency other than the plan's without an exchange rate.

    ``where`` names, per currency, the files (or sources) it comes from."""
    money = [m for m in money_measures() if m in frame.columns]
    if not money or frame.empty:
        return
    reported = frame[money].notna().any(axis=1)
    found = frame.loc[reported, "currency"].fillna("").astype(str)
    codes = sorted({c for c in found.unique() if c and c != currency})
    missing = [c for c in codes if c not in rates]
    if not missing:
        return
    every = sorted({c for c in found.unique() if c})
    sources = where or {
        c: sorted(frame.loc[reported & (found == c), "source"].astype(str).unique()) for c in every
    }
    parts = [f"{code} ({', '.join(sorted(sources.get(code, ()))) or 'the data'})" for code in every]
    example = " ".join(f"--fx {c}=RATE" for c in missing)
    rate = f"{example} (1 {missing[0]} = RATE {currency})"
    if len(every) == 1:
        raise KpiXlError(
            f"the data is in {parts[0]} but the plan is in {currency}: give the exchange rate "
            f"with {rate}, or build the plan in {every[0]} with --currency {every[0]}"
        )
    raise KpiXlError(
        f"the data mixes currencies: {' and '.join(parts)}; a {currency} plan cannot add "
        f"them up without exchange rates: give them with {rate}, or choose the plan "
        "currency with --currency"
    )


def _scope_rows(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Channel scopes and the ``all`` scope of every source, as one table."""
    whole = [m for m, x in measures().items() if x.non_additive and m in frame.columns]
    split = frame[frame["channel"] != SCOPE_ALL]
    totals = frame[frame["channel"] == SCOPE_ALL]
    by_channel = aggregate(split, grain, by=("channel", "source", "currency"))
    by_channel = by_channel.rename(columns={"channel": "scope"})
    keys = ["period", "source", "currency"]
    summed = aggregate(split, grain, by=("source", "currency")).set_index(keys)
    summed[whole] = np.nan  # distinct people are never added across channels
    own = aggregate(totals, grain, by=("source", "currency")).set_index(keys)
    everything = own.combine_first(summed) if len(own) else summed
    everything = everything.reindex(columns=summed.columns).reset_index()
    everything.insert(1, "scope", SCOPE_ALL)
    keys = [c for c in KEY_COLUMNS if c != "period_no"]
    columns = [*keys, *(c for c in by_channel.columns if c in measures())]
    table = pd.concat([by_channel.reindex(columns=columns), everything.reindex(columns=columns)])
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def _best(rows: pd.DataFrame, systems: tuple[str, ...], kinds: Mapping[str, str]) -> str:
    """The source of ``rows`` first in ``systems`` (by its platform's kind), then covering
    the most periods, then by name; ``""`` when there is none."""
    periods = rows.groupby("source")["period"].nunique()

    def rank(source: str) -> tuple[int, int, str]:
        kind = kinds.get(source, "")
        order = systems.index(kind) if kind in systems else len(systems)
        return order, -int(periods[source]), source

    return min(periods.index, key=rank) if len(periods) else ""


def _records(table: pd.DataFrame, wanted: Iterable[str]) -> dict[str, Record]:
    from kpi_xl.ingest.platforms import platforms

    kinds = {p.name: p.kind for p in platforms()}
    catalog = measures()
    out: dict[str, Record] = {}
    for m in wanted:
        if m not in table.columns or not catalog[m].is_site:
            continue
        reported = table[table[m].notna()]
        chosen_all = _best(reported[reported["scope"] == SCOPE_ALL], catalog[m].systems, kinds)
        chosen_channels = _best(reported[reported["scope"] != SCOPE_ALL], catalog[m].systems, kinds)
        others = tuple(
            s for s in sorted(reported["source"].unique()) if s not in (chosen_all, chosen_channels)
        )
        out[m] = Record(m, chosen_all, chosen_channels, others)
    return out


def build_plan_data(
    frame: pd.DataFrame,
    grain: str,
    currency: str,
    rates: Mapping[str, float] | None = None,
    wanted: Iterable[str] | None = None,
) -> PlanData:
    """PlanData of the canonical ``frame`` for a plan of ``grain`` in ``currency``.

    ``rates`` are exchange rates into ``currency``; ``wanted`` the measures the plan's
    KPIs read (their systems of record are chosen; default: every measure)."""
    rates = dict(rates or {})
    wanted = None if wanted is None else list(wanted)
    frame = with_ranges(frame)
    check_currencies(frame, currency, rates)
    names = frame["source"].fillna("").astype(str) if "source" in frame else pd.Series("")
    ids = _source_ids(names.unique()) if len(frame) else {}
    frame = _prepared(frame, ids, currency)
    table, native, used = _table(frame, grain, currency, rates, wanted)
    measure_list = [c for c in table.columns if c not in KEY_COLUMNS]
    records = _records(table, measure_list if wanted is None else wanted)
    return PlanData(
        table=table,
        currency=currency,
        rates=used,
        native=native,
        records=records,
        source_names={v: k for k, v in ids.items()},
        whole=whole_rows(frame, grain, by=("channel",)),
    )


def _prepared(frame: pd.DataFrame, ids: Mapping[str, str], currency: str) -> pd.DataFrame:
    """Sources as ids, rows without a currency in the plan's."""
    if not len(frame):
        return frame.assign(source=pd.Series(dtype=object), currency=pd.Series(dtype=object))
    names = frame["source"].fillna("").astype(str)
    codes = frame["currency"].fillna("").replace("", currency) if "currency" in frame else currency
    return frame.assign(source=names.map(ids).fillna(UNNAMED_SOURCE).to_numpy(), currency=codes)


def _table(
    frame: pd.DataFrame,
    grain: str,
    currency: str,
    rates: Mapping[str, float],
    wanted: list[str] | None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, float]]:
    """The scope rows of a prepared frame, money converted: (table, native money, rates
    used)."""
    table = _scope_rows(frame, grain)
    table.insert(1, "period_no", [cal.number(k) for k in table["period"].astype(str)])
    if wanted is not None:  # every measure the formulas read has a column, blank or not
        present = set(table.columns) | set(wanted)
        order = [m for m in measures() if m in present]
        table = table.reindex(columns=[*KEY_COLUMNS, *order])
    row_rates = (
        table["currency"]
        .map(lambda c: 1.0 if c == currency else rates[c])
        .to_numpy(dtype="float64")
    )
    native: dict[str, np.ndarray] = {}
    for m in money_measures():
        if m in table.columns:
            native[m] = table[m].to_numpy(dtype="float64").copy()
            table[m] = native[m] * row_rates
    used = {c: rates[c] for c in table["currency"].unique() if c != currency}
    return table, native, used


def to_date_data(
    frame: pd.DataFrame,
    grain: str,
    main: PlanData,
    periods: Iterable[str],
    days: int,
    rates: Mapping[str, float] | None = None,
) -> PlanData:
    """PlanData of the first ``days`` days of ``periods`` (the same days of the previous
    period and of last year as the current period holds), for like-for-like comparisons.

    Only a source whose rows in such a period are all daily can be cut at a day: its rows
    of days 1 to ``days`` are kept; a source that exported that period as a total (a
    monthly report) is left out there, and the comparison falls back to the projection
    (:meth:`PlanData.to_date_sources` says which sources are in)."""
    frame = with_ranges(frame)
    wanted = [c for c in main.table.columns if c not in KEY_COLUMNS]
    ids = {name: sid for sid, name in main.source_names.items()}
    columns = [*KEY_COLUMNS, *wanted]
    if not len(frame):
        empty = pd.DataFrame(columns=columns)
        return PlanData(empty, main.currency, {}, {}, main.records, main.source_names, main.whole)
    start = pd.to_datetime(frame["date_from"])
    end = pd.to_datetime(frame["date_to"])
    keys = cal.period_key(start, grain)
    wanted_periods = set(periods)
    inside = keys.isin(wanted_periods).to_numpy().copy()
    daily = (start == end).to_numpy()
    names = frame["source"].fillna("").astype(str).to_numpy()
    # rows giving only counts of people (a whole-period reach) are never cut, and do not
    # stop a source's daily rows from being cut
    catalog = measures()
    adding = [m for m in wanted if m in frame.columns and not catalog[m].non_additive]
    flows = frame[adding].notna().any(axis=1).to_numpy() if adding else np.zeros(len(frame), bool)
    inside &= flows
    pairs = pd.DataFrame({"period": keys.to_numpy(), "source": names, "daily": daily})[inside]
    cuttable = pairs.groupby(["period", "source"])["daily"].all()
    ok_pairs = {k for k, v in cuttable.items() if v}
    firsts = {k: pd.Timestamp(cal.bounds(k, grain)[0]) for k in wanted_periods}
    position = np.array(
        [
            (s - firsts[k]).days + 1 if k in firsts else 0
            for s, k in zip(start, keys.to_numpy(), strict=True)
        ]
    )
    keep = inside & daily & (position <= days)
    keep &= np.array([(k, n) in ok_pairs for k, n in zip(keys.to_numpy(), names, strict=True)])
    sub = _prepared(frame[keep], ids, main.currency)
    table, native, used = _table(sub, grain, main.currency, dict(rates or {}), wanted)
    table = table.reindex(columns=columns)
    return PlanData(
        table=table,
        currency=main.currency,
        rates=used,
        native=native,
        records=main.records,
        source_names=main.source_names,
        whole=whole_rows(sub, grain, by=("channel",)) if len(sub) else main.whole.iloc[:0],
    )
