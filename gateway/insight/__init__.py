"""The privacy officer's insight, as use-cases without aiohttp: policies, simulation,
misuse signals and monitoring statistics.

`config.py` the settings of `config/insight.toml` (safe defaults), `simulation.py`
replays a period's recorded decisions through a candidate rule set (`policies.simulation`),
`policy_view.py` the rules in force in plain words, a comparison and the art. 30
register, `signals.py` the misuse signals over `gateway.audit.signals`, `statistics.py`
the protected monitoring figures (cell-key method, docs/statistics.md) over
`gateway.insight.statistics_sql`. Called by `gateway.api.officer.insight` (and next the
officer console's pages); imports neither of them.
"""
