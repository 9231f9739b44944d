"""A channel's campaigns over the calendar: which campaigns have rows on which days, the
:class:`Block` that holds their measures as (campaigns, days) matrices, and the expected
daily sessions that drive every other measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from kpi_xl.sample_data.seasonality import Calendar, Rng
from kpi_xl.sample_data.store import SEASONS, Campaign, Channel

Matrix = np.ndarray  # (campaigns, days) float64


@dataclass
class Block:
    """One channel's campaigns over the calendar: measures as (campaigns, days) matrices."""

    channel: str
    profile: Channel
    campaigns: list[Campaign]
    names: list[str]
    active: np.ndarray  # bool (campaigns, days): the campaign has a row that day
    values: dict[str, Matrix] = field(default_factory=dict)

    def col(self, attr: str) -> Matrix:
        """A campaign attribute as a column to broadcast over days."""
        return np.array([float(getattr(c, attr)) for c in self.campaigns])[:, None]

    def daily_total(self, measure: str) -> np.ndarray:
        return np.asarray(np.where(self.active, self.values[measure], 0.0).sum(axis=0))

    def anchor(self, measure: str, series: np.ndarray) -> None:
        """A stock (or a channel-level flow) on the channel's anchor campaign only."""
        out = np.full(self.active.shape, np.nan)
        out[0] = series
        self.values[measure] = out


def channel_campaigns(
    profile: Channel, days: pd.DatetimeIndex, per_channel: int | None
) -> tuple[list[Campaign], list[str], np.ndarray]:
    """The channel's campaigns, their names and the days each has rows; the first one is
    always on (the anchor)."""
    dates = days.date
    steady = [c for c in profile.campaigns if not c.season and c.launch is None]
    if per_channel is not None:
        chosen = steady[:per_channel]
        for i in range(len(chosen), per_channel):
            chosen.append(replace(steady[i % len(steady)], name=f"{profile.extra} {i + 1:03d}"))
        return chosen, [c.name for c in chosen], np.ones((per_channel, len(days)), dtype=bool)
    out: list[Campaign] = []
    names: list[str] = []
    rows: list[np.ndarray] = []
    for camp in profile.campaigns:
        windows = [(camp.name, np.ones(len(days), dtype=bool))]
        if camp.launch is not None:
            windows = [(camp.name, dates >= camp.launch)]
        if camp.season:
            bounds = {y: SEASONS[camp.season](y) for y in sorted(set(days.year.tolist()))}
            windows = [
                (camp.name.format(year=y), (dates >= a) & (dates <= b))
                for y, (a, b) in bounds.items()
            ]
        for name, window in windows:
            if window.any():
                out.append(camp)
                names.append(name)
                rows.append(window)
    return out, names, np.array(rows, dtype=bool).reshape(len(out), len(days))


def session_intensity(block: Block, cal: Calendar, rng: Rng, scale: float) -> Matrix:
    """Expected daily sessions of each campaign (before the outage)."""
    steady = np.array([not c.season and c.launch is None for c in block.campaigns])
    weights = block.col("weight")
    share = weights / max(float(weights[steady].sum()), 1e-9)
    day_noise = rng.lognormal(0.0, 0.06, len(cal.days))
    camp_noise = rng.lognormal(0.0, 0.12, block.active.shape)
    base = block.profile.sessions * scale * cal.factor(block.profile) * day_noise
    return np.asarray(share * base * camp_noise)
