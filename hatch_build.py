"""Wheel build hook: ship plotly.js from the plotly package inside the wheel.

The app never loads plotly.js from a CDN (it must work on a closed intranet).
The file is not committed; it is taken from the plotly package that the build
environment installs (see build-system.requires) and placed at
crmproject/static/vendor/plotly.min.js in the wheel.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PlotlyJsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        import plotly

        source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        if not source.is_file():
            raise RuntimeError(f"plotly.min.js not found in the plotly package at {source}")
        build_data["force_include"][str(source)] = "crmproject/static/vendor/plotly.min.js"
