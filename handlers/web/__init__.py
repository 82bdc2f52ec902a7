"""HTTP endpoints on Sigap's own small web server (``SIGAP_METRICS_LISTEN``), beside Telegram.

Each module here is one concern and exposes its ``ROUTES`` (a list of aiohttp route
definitions); ``bot.web`` builds the server from the modules it lists in ``WEB_MODULES``, so
another page or API (a public page, an Open311 API) is one more module with its own ``ROUTES``
and one more entry there. What a route needs (the services, whether the jobs run, a way to
reach Telegram) it takes from ``context.web_context(request)``, filled in by the root.

- ``health``: ``/healthz`` (alive; leader or standby) and ``/readyz`` (database, migrations,
  Telegram), for monitoring and load balancers.
- ``metrics``: ``/metrics`` in Prometheus' text format (``services.metrics``).
- ``public``: ``/publik``, the public page (IKM per unit and quarter, complaints per month)
  and its CSV files, rendered by ``public_tables``, ``public_page`` and ``public_svg``.
"""
