"""Loading of `config/policies/*.toml`: the entry point, `load_policy_set`.

A policy file holds `[[rules]]` tables (see docs/policies.md for every key). Loading
never yields half a policy set: every problem in every file is collected, and if
there is any, `PolicyLoadError` lists them all, each naming the file and rule id.
Each rule's shape and vocabulary are checked as it is parsed (`policies._parse`);
the set as a whole is then checked (`policies.lint`) for permit rules that can never
fire (every request they cover is forbidden by a forbid rule at least as general)
and for permit rules that contradict each other (same requests, same conditions,
different legal ground).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from policies._parse import parse_rules
from policies.errors import PolicyLoadError
from policies.lint import validate_rules
from policies.model import PolicySet, Rule
from policies.vocabulary import Vocabulary, load_vocabulary

__all__ = ["POLICY_DIR", "load_policy_set", "parse_rules", "validate_rules"]

POLICY_DIR: Final = "policies"


def load_policy_set(config_dir: Path, vocabulary: Vocabulary | None = None) -> PolicySet:
    """Read `config_dir/policies/*.toml` into a `PolicySet`, or raise `PolicyLoadError`
    listing every problem (nothing is loaded then)."""
    if vocabulary is None:
        vocabulary = load_vocabulary(config_dir)
    problems: list[str] = []
    directory = config_dir / POLICY_DIR
    files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
    if not files:
        raise PolicyLoadError([f"{POLICY_DIR}/: no policy files (*.toml) found in {directory}"])
    rules: list[Rule] = []
    displays = []
    for path in files:
        display = f"{POLICY_DIR}/{path.name}"
        displays.append(display)
        rules += parse_rules(path, display, vocabulary, problems)
    problems += validate_rules(rules, vocabulary)
    if problems:
        raise PolicyLoadError(problems)
    return PolicySet.build(vocabulary, rules, displays)
