"""The organisation-to-organisation exchange: one pipeline from token to audited answer."""

from gateway.exchange.model import ExchangeRequest, ExchangeResult, ItemResult
from gateway.exchange.pipeline import ExchangeDeps, run_exchange

__all__ = ["ExchangeDeps", "ExchangeRequest", "ExchangeResult", "ItemResult", "run_exchange"]
