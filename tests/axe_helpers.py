"""axe-core (npm, in tests/mjml/node_modules) injected into a Playwright page or frame, for accessibility assertions."""

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


def inject(target: Any) -> None:
    """Load axe-core into a page or frame once; evaluated, not a <script>, so a Content-Security-Policy allows it."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(axe_script().read_text(encoding="utf-8"))


def axe_violations(page: Any, rules: tuple[str, ...] = ("color-contrast",)) -> list[dict[str, Any]]:
    """Run axe-core's `rules` on the page and return the violations, each with its failing nodes."""
    inject(page)
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


def assert_accessible(target: Any, label: str, options: dict[str, Any] | None = None) -> None:
    """Run every axe-core rule (or as `options` say) on a page or frame and fail with what it found."""
    inject(target)
    found = target.evaluate("async (options) => (await axe.run(document, options)).violations", options or {})
    assert not found, f"axe-core found {len(found)} problem(s) in {label}:\n{describe(found)}"
