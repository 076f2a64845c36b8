"""Wheel build hook: ship plotly.js from the plotly package, and the compiled translations, inside the wheel.

The app never loads plotly.js from a CDN (it must work on a closed intranet).
The file is not committed; it is taken from the plotly package that the build
environment installs (see build-system.requires) and placed at
crmproject/static/vendor/plotly.min.js in the wheel.

The translations are kept as gettext .po files in the repository; each is
compiled here to its .mo beside it (with Babel, from build-system.requires),
for the wheel and for an editable install (`pip install -e .`) alike, so a
checkout never needs a separate compile step.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TRANSLATIONS = Path(__file__).resolve().parent / "crmproject" / "translations"


def compile_translations(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every <lang>/LC_MESSAGES/messages.po under `directory` to its .mo; returns the .mo files."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class PlotlyJsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        for mo in compile_translations():
            build_data["force_include"][str(mo)] = str(mo.relative_to(Path(__file__).resolve().parent))
        import plotly

        source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        if not source.is_file():
            raise RuntimeError(f"plotly.min.js not found in the plotly package at {source}")
        build_data["force_include"][str(source)] = "crmproject/static/vendor/plotly.min.js"
