"""The simulation's calendar: the day-level drivers every channel shares (growth trend,
yearly seasonality, shopping events such as Black Friday week and Christmas, weekdays) and
the share of web-analytics hits recorded (less than all during the tracking outage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi_xl.sample_data.store import EPOCH, OUTAGE, Channel, black_friday

Rng = np.random.Generator


def _event_lift(days: pd.DatetimeIndex) -> np.ndarray:
    """Shopping events: Black Friday week, Cyber Monday, Christmas shopping and sales."""
    lift = np.ones(len(days))
    dates = days.date
    for year in sorted(set(days.year.tolist())):
        bf = black_friday(year)
        spans = [
            (bf - dt.timedelta(7), bf - dt.timedelta(2), 1.25),
            (bf - dt.timedelta(1), bf - dt.timedelta(1), 1.5),
            (bf, bf, 2.6),
            (bf + dt.timedelta(1), bf + dt.timedelta(2), 1.8),
            (bf + dt.timedelta(3), bf + dt.timedelta(3), 2.0),  # Cyber Monday
            (bf + dt.timedelta(4), bf + dt.timedelta(10), 1.15),
            (dt.date(year, 12, 12), dt.date(year, 12, 20), 1.3),
            (dt.date(year, 12, 24), dt.date(year, 12, 26), 0.55),
            (dt.date(year, 12, 27), dt.date(year, 12, 31), 1.2),
            (dt.date(year, 1, 1), dt.date(year, 1, 6), 1.15),
        ]
        for first, last, factor in spans:
            lift[(dates >= first) & (dates <= last)] = factor
    return lift


@dataclass
class Calendar:
    """Day-level drivers shared by every channel."""

    days: pd.DatetimeIndex
    years: np.ndarray  # years since 2025-01-01
    yearly: np.ndarray  # summer dip, winter peak
    events: np.ndarray  # shopping events
    weekday: np.ndarray  # 0 = Monday
    kept: np.ndarray  # share of web-analytics hits recorded (1 except in the outage)

    @classmethod
    def of(cls, days: pd.DatetimeIndex, rng: Rng) -> Calendar:
        years = np.asarray((days - pd.Timestamp(EPOCH)).days, dtype=float) / 365.25
        doy = np.asarray(days.day_of_year, dtype=float)
        yearly = (
            1
            + 0.1 * np.cos(2 * np.pi * (doy - 355) / 365.25)
            - 0.18 * np.exp(-(((doy - 205) / 25) ** 2))
        )
        kept = np.ones(len(days))
        outage = (days.date >= OUTAGE[0]) & (days.date <= OUTAGE[1])
        kept[outage] = rng.uniform(0.15, 0.25, int(outage.sum()))
        weekday = np.asarray(days.day_of_week)
        return cls(days, years, yearly, _event_lift(days), weekday, kept)

    @property
    def trend(self) -> np.ndarray:
        return np.asarray(1.25**self.years)

    def factor(self, channel: Channel) -> np.ndarray:
        week = np.asarray(channel.weekday)[self.weekday] / np.mean(channel.weekday)
        return np.asarray(self.trend * self.yearly * self.events**channel.events * week)
