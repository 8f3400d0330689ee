"""Periods: a scheme scored over a run of periods — roll-ups into longer periods, history rules
(streaks, lateness, carry-over, ledgers) and the results of other schemes as inputs."""
