"""``python -m kpi_xl.sample_data``: regenerate the bundled sample or a benchmark table."""

import sys

from kpi_xl.sample_data.generate import main

sys.exit(main())
