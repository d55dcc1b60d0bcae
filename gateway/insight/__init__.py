"""The privacy officer's insight, as use-cases without aiohttp: policies, simulation,
misuse signals and monitoring statistics.

`config.py` the settings of `config/insight.toml` (safe defaults), `simulation.py`
replays a period's recorded decisions through a candidate rule set (`policies.simulation`),
`policy_view.py` the rules in force in plain words, a comparison and the art. 30
register, `signals.py` the misuse signals over `gateway.audit.signals`, `statistics.py`
the protected monitoring figures (cell-key method, docs/statistics.md) over
`gateway.insight.statistics_sql`. `officer.py` holds the use-cases over all of them
(bounds, scope, logging) that `gateway.api.officer.insight`/`.monitoring` and the
console's pages (`gateway.web.officer`) both call; imports neither of them.
"""
