"""Run axe-core (npm, installed under tests/mjml by scripts/test) on a page or frame driven by Playwright."""

from __future__ import annotations

import functools
from typing import Any

from tests.conftest import MJML_DIR, missing_tool

AXE = MJML_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What a violation says: the rule, how bad, and the first few elements it found.
_RUN = """async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: "
      + (n.failureSummary || "").split("\\n").slice(1).join(" ")),
  }));
}"""


@functools.cache
def axe_source() -> str:
    """Return axe-core's script, or skip (fail in CI) when the npm package is not installed."""
    if not AXE.is_file():
        missing_tool("axe-core is not installed (npm install --prefix tests/mjml)")
    return AXE.read_text(encoding="utf-8")


def violations(target: Any, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Inject axe into a Playwright page or frame (past any Content-Security-Policy) and return its violations."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(axe_source())
    return list(target.evaluate(_RUN, options or {}))


def assert_accessible(target: Any, label: str, options: dict[str, Any] | None = None) -> None:
    """Fail with a readable list when axe finds any violation."""
    found = violations(target, options)
    lines = [f"{v['id']} ({v['impact']}): {v['help']}\n      " + "\n      ".join(v["nodes"]) for v in found]
    assert not found, f"axe-core found {len(found)} problem(s) in {label}:\n  " + "\n  ".join(lines)
