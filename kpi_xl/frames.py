"""pandas conventions shared by every layer."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Text columns: pandas' string dtype (missing = NaN) stored as Python strings. The Arrow
#: storage pandas picks when pyarrow is installed holds a large export's text at about
#: twice the peak memory (measured: 306 MB against 237 MB for a 116,800-row build).
TEXT = pd.StringDtype("python", na_value=np.nan)
