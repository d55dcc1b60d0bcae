"""What every sub-command shares: loading settings and reporting bad ones."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gateway.errors import SettingsError
from gateway.logs import configure_logging
from gateway.settings import Settings

__all__ = ["add_settings_options", "load_settings"]


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config-dir", type=Path, help="configuration folder (GATEWAY_CONFIG_DIR)")
    parser.add_argument(
        "--data-dir", type=Path, help="data folder for keys and SQLite (GATEWAY_DATA_DIR)"
    )


def load_settings(args: argparse.Namespace) -> Settings | None:
    """Settings from the environment and options; None (after one line on stderr) if bad."""
    environ = dict(os.environ)
    if getattr(args, "data_dir", None):
        environ["GATEWAY_DATA_DIR"] = str(args.data_dir)
    if getattr(args, "config_dir", None):
        environ["GATEWAY_CONFIG_DIR"] = str(args.config_dir)
    try:
        settings = Settings.load(environ)
    except SettingsError as exc:
        print(f"gateway: invalid setting {exc}", file=sys.stderr)
        return None
    configure_logging(settings.log_format, settings.log_level)
    return settings
