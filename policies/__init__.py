"""Purpose-based policy engine: "may this organisation have this data, for this purpose, now?"

Declarative rules (config/policies/*.toml) over a shared vocabulary (config/*.toml)
are loaded and validated strictly, compiled into an index, and answered with an
explainable `Decision`. This package does no I/O besides reading those TOML files
and imports nothing from `gateway`, `consent` or `adapters`.
"""

from policies.cedar import CedarExport, cedar_request, export_cedar
from policies.engine import PolicyEngine
from policies.errors import PolicyError, PolicyLoadError
from policies.explain import explain_report
from policies.loader import load_policy_set, validate_rules
from policies.model import (
    REASONS,
    Conditions,
    Decision,
    DecisionContext,
    DecisionRequest,
    PolicySet,
    Reason,
    Rule,
)
from policies.register import render_register
from policies.store import PolicyStore, ReloadResult
from policies.vocabulary import (
    Category,
    LegalBasis,
    Purpose,
    RequesterType,
    Vocabulary,
    load_vocabulary,
)

__all__ = [
    "REASONS",
    "Category",
    "CedarExport",
    "Conditions",
    "Decision",
    "DecisionContext",
    "DecisionRequest",
    "LegalBasis",
    "PolicyEngine",
    "PolicyError",
    "PolicyLoadError",
    "PolicySet",
    "PolicyStore",
    "Purpose",
    "Reason",
    "ReloadResult",
    "RequesterType",
    "Rule",
    "Vocabulary",
    "cedar_request",
    "explain_report",
    "export_cedar",
    "load_policy_set",
    "load_vocabulary",
    "render_register",
    "validate_rules",
]
