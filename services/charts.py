"""What every chart shares. Charts are drawn with matplotlib's object API and the Agg canvas (no
pyplot global state) in the rendering process (``services/offload.py``), off the bot's event
loop; matplotlib's font cache is shared by every figure and is not thread-safe, so one chart is
drawn at a time."""

from __future__ import annotations

import threading

CHART_LOCK = threading.Lock()
