"""The editor's controls over findings: rule levels from `[check]`, and `check: ignore` comments at a line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.checks import Finding, Rule, rules
from newsletter.files import did_you_mean

if TYPE_CHECKING:
    from newsletter.checks.context import Context

UNKNOWN_RULE = Rule("check/unknown-rule", "warning", "[check] or an ignore comment names a rule that does not exist",
                    "use a rule id as `newsletter check` prints it, such as links/insecure, or family/* for a family")
RULES = (UNKNOWN_RULE,)

# `<!-- check: ignore links/insecure -->` in Markdown and .txt, `# check: ignore …` in TOML files.
IGNORE = re.compile(r"(?:<!--|#)[ \t]*check:[ \t]*ignore[ \t]+([a-z0-9/*, \t-]+?)[ \t]*(?:-->|$)")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def apply(ctx: Context, findings: Iterable[Finding]) -> list[Finding]:
    """Return the findings with `[check]` levels applied, ignored ones removed, and unknown rule ids reported."""
    known = rules()
    families = {rule.split("/", 1)[0] for rule in known}
    levels = dict(ctx.settings.check.levels)
    out: list[Finding] = []
    for key, _ in ctx.settings.check.levels:
        if not _known(key, known, families):
            out.append(UNKNOWN_RULE.at(ctx.config_path, ctx.config_line("check", key),
                                       f"[check] sets {key!r}, which is not a rule{_hint(key, known)}"))
    ignored: dict[Path, dict[int, set[str]]] = {}
    for finding in findings:
        level = levels.get(finding.rule) or levels.get(finding.rule.split("/", 1)[0] + "/*") or finding.level
        if level == "off":
            continue
        if finding.path is not None and finding.line is not None:
            if finding.path not in ignored:
                ignored[finding.path] = _ignores(ctx, finding.path, known, families, out)
            wanted = ignored[finding.path].get(finding.line, set())
            if finding.rule in wanted or finding.rule.split("/", 1)[0] + "/*" in wanted:
                continue
        out.append(finding if level == finding.level else replace(finding, level=level))
    return out


def ignores(lines: Sequence[str]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Return (rule ids ignored per line, rule ids named per comment line).

    A comment after text on a line ignores findings on that line; a comment alone on its line ignores the next
    line with text. Comments inside fenced code are text, not comments.
    """
    found: dict[int, set[str]] = {}
    named: dict[int, set[str]] = {}
    pending: set[str] = set()
    fence = ""
    for number, line in enumerate(lines, start=1):
        opened = _FENCE.match(line)
        if opened and (not fence or (opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence))):
            fence = "" if fence else opened.group(1)
            continue
        if fence:
            continue
        match = IGNORE.search(line)
        names = set(re.split(r"[\s,]+", match.group(1).strip())) if match else set()
        rest = (line[:match.start()] + line[match.end():]).strip() if match else line.strip()
        if match:
            named[number] = names
        if match and not rest:
            pending |= names
            continue
        if rest and (pending or names):
            found.setdefault(number, set()).update(pending | names)
            pending = set()
    return found, named


def _ignores(ctx: Context, path: Path, known: dict[str, Rule], families: set[str],
             out: list[Finding]) -> dict[int, set[str]]:
    """Return a file's ignore comments, reporting the rule ids they name that do not exist."""
    found, named = ignores(ctx.lines(path))
    for number, names in named.items():
        for name in sorted(names):
            if not _known(name, known, families):
                out.append(UNKNOWN_RULE.at(path, number, f"the ignore comment names {name!r}, which is not a "
                                                         f"rule{_hint(name, known)}"))
    return found


def _known(name: str, known: dict[str, Rule], families: set[str]) -> bool:
    """Return True for a rule id or a `family/*` pattern."""
    return name in known or (name.endswith("/*") and name[:-2] in families)


def _hint(name: str, known: dict[str, Rule]) -> str:
    """Return "; did you mean `x`?" for a misspelt rule id."""
    return did_you_mean(name, known)
