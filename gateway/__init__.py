"""The gateway service: the aiohttp app, the exchange pipeline and everything around it."""
