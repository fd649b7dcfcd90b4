"""The model's calendar: month 1 is January 2000, for every scenario.

One step is one month. Month ``m`` (``m >= 1``) is the calendar month ``2000-01`` plus ``m - 1``
months; month 0 is the starting state, at the end of December 1999. The history the research texts
describe (``../shared/domain.md``) is on this calendar: Dutch-Moroccan and Dutch-Turkish partnerships
from 2000 on (month 1), LOGO South's budget cut to zero in 2011 (``2011-01`` is month 133), the
successor programme 2012-2016 (months 145-204), the March 2017 terminations (month 207).

Parameters that name a month (:data:`c2c_sim.config.DATED`) also take a date ``YYYY-MM``:

* on the command line, ``c2c-sim shocks.funding_cut_month=2011-01`` (the CLI writes it as 133);
* in Python, ``make_config({"shocks.funding_cut_month": "2011-01"})``;
* in YAML, ``funding_cut_month: ${c2c.month:2011-01}`` (an interpolation: a plain ``2011-01`` is a
  string where Hydra's schema wants a whole number).

For ``programme.start`` and ``programme.successor_start`` (the programme pays *after* that month) the
date is the first paid month, everywhere: ``programme.start=2000-01`` (command line, Python) is
``start = 0``, paying from month 1, and so is ``start: ${c2c.paid_from:2000-01}`` in YAML
(``${c2c.paid_from:YYYY-MM}`` is the month before that date; ``${c2c.month:..}`` is the month itself, for
the other month parameters). Dates start at ``2000-01``: an earlier one is refused, naming the field.
Tables carry a ``date`` column (the first day of the row's calendar month) beside ``month``.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

START = (2000, 1)
"""Year and month of month 1."""
DATE_FORMAT = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def month_number(value: str | date | pd.Timestamp | pd.Period) -> int:
    """The model month of a calendar month without any bound (``"1999-11"`` is -1); ValueError for a string
    that is not ``YYYY-MM``."""
    if isinstance(value, str):
        m = DATE_FORMAT.match(value)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"'{value}' is not a month: give YYYY-MM, e.g. 2011-01")
        year, month = int(m.group(1)), int(m.group(2))
    elif isinstance(value, pd.Period):
        year, month = value.year, value.month
    elif isinstance(value, date):
        year, month = value.year, value.month
    else:
        raise ValueError(f"{value!r} is not a month: give YYYY-MM, e.g. 2011-01")
    return (year - START[0]) * 12 + (month - START[1]) + 1


def month_of(value: str | date | pd.Timestamp | pd.Period) -> int:
    """The model month of a calendar month: ``"2000-01"`` is 1, ``"2011-01"`` is 133, ``"1999-12"`` is 0.

    Raises ValueError for a string that is not ``YYYY-MM`` or a month before December 1999."""
    out = month_number(value)
    if out < 0:
        raise ValueError(f"'{value}' is before the calendar: month 1 is {label(1)}, month 0 {label(0)}")
    return out


def label(month: int) -> str:
    """``YYYY-MM`` of a model month (month 1 is ``2000-01``)."""
    y, m = divmod(START[0] * 12 + START[1] - 1 + int(month) - 1, 12)
    return f"{y:04d}-{m + 1:02d}"


def dates(months) -> pd.DatetimeIndex | pd.Timestamp:
    """The first day of each model month's calendar month (month 0: 1999-12-01)."""
    arr = np.asarray(months, dtype=np.int64)
    base = np.datetime64(f"{START[0]:04d}-{START[1]:02d}", "M")
    out = (base + (arr - 1).astype("timedelta64[M]")).astype("datetime64[s]")  # [s]: no overflow in 2262
    return pd.Timestamp(out) if arr.ndim == 0 else pd.DatetimeIndex(out.ravel())


def is_date(value) -> bool:
    """Whether ``value`` is a ``YYYY-MM`` string (not a plain number)."""
    return isinstance(value, str) and DATE_FORMAT.match(value) is not None


def _first_date(value) -> int:
    month = month_number(str(value))  # one message for every date before 2000-01 (month_of's allows 1999-12)
    if month < 1:
        raise ValueError(f"'{value}' is before the calendar: dates start at {label(1)} (month 1)")
    return month


def resolve_month(value) -> int:
    """OmegaConf resolver ``${c2c.month:2011-01}`` -> 133: the month of a date (YAML presets on the calendar).
    Dates before 2000-01 are refused."""
    return _first_date(value)


def resolve_paid_from(value) -> int:
    """OmegaConf resolver ``${c2c.paid_from:2012-01}`` -> 144: the month *after* which a programme pays, for
    ``programme.start`` and ``programme.successor_start``, given the first paid month (as a date given to
    these fields on the command line or in Python). Dates before 2000-01 are refused."""
    return _first_date(value) - 1
