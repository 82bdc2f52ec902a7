"""Random kills: the chaos driver (``driver.py``) runs real ``sigap run`` processes through
random scenarios of every flow, kills them with SIGKILL at random moments, restarts them and
checks after each restart that nothing acknowledged is lost, nothing exists twice, every
conversation continues at its step and every tracking number is unique.

``python -m tests.e2e.chaos --help``; ``tests/e2e/test_chaos_kills.py`` runs it in the suite."""
