"""Where templates/, static/ and seed_plans/ live.

In an installed wheel they are inside the package (hatch force-include puts
them there); in a checkout or an editable install they sit next to the
package at the top of the repository.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the folder `name` (templates, static, seed_plans) for this install."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"crmproject cannot find its {name!r} folder: looked in {PACKAGE_DIR / name} "
        f"and {PACKAGE_DIR.parent / name}"
    )


def templates_dir() -> Path:
    return resource_dir("templates")


def static_dir() -> Path:
    return resource_dir("static")


def seed_plans_dir() -> Path:
    return resource_dir("seed_plans")


def plotly_js_path() -> Path:
    """plotly.min.js: shipped in the wheel's static/vendor, else the plotly package's own copy."""
    shipped = static_dir() / "vendor" / "plotly.min.js"
    if shipped.is_file():
        return shipped
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
