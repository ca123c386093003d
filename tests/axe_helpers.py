"""axe-core (npm, in tests/mjml/node_modules) injected into a Playwright page, for accessibility assertions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import MJML_DIR, missing_tool

AXE_JS = MJML_DIR / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> Path:
    """Return axe.min.js, or skip (fail in CI) when the npm package is not installed."""
    if not AXE_JS.is_file():
        missing_tool("axe-core is not installed (npm install --prefix tests/mjml)")
    return AXE_JS


def axe_violations(page: Any, rules: tuple[str, ...] = ("color-contrast",)) -> list[dict[str, Any]]:
    """Run axe-core's `rules` on the page and return the violations, each with its failing nodes."""
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate(
        "async (rules) => await axe.run(document, "
        "{runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']})",
        list(rules),
    )
    return result["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    """Return the violations as readable lines: rule, element and axe's summary of what fails."""
    return "\n".join(f"{v['id']}: {node['html'][:100]} {node.get('failureSummary', '')[:200]}"
                     for v in violations for node in v["nodes"])
