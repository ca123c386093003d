"""What the element a CSS selector matches must carry, so that a selector whose subject is absent is never run.

Running a selector means an XPath search of the whole email; most of a theme's rules name classes that a
given issue does not use (no sponsor, no quote), and finding that out costs premailer half of its time.
Both premailer (inlining) and the contrast check skip a rule whose subject needs a class the email lacks.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from cssselect import SelectorError, parse
from cssselect.parser import Class, CombinedSelector, Element

_XML_SPACES = re.compile(r"[ \t\r\n]+")  # how XPath's normalize-space, which cssselect's class test uses, splits


def present(document: Any) -> set[str]:
    """Return the tags and `.classes` of a document's elements (classes split as a selector's XPath splits them)."""
    found: set[str] = set()
    for element in document.iter():
        found.add(element.tag)
        names = element.get("class")
        if names:
            found.update(f".{name}" for name in _XML_SPACES.split(names) if name)
    return found


def subject_needs(tree: Any) -> Iterator[str]:
    """Yield the tag and the `.classes` the element a parsed selector matches must have (its rightmost compound)."""
    node = tree
    while node is not None:
        if isinstance(node, CombinedSelector):
            node = node.subselector
        elif isinstance(node, Class):
            yield f".{node.class_name}"
            node = node.selector
        elif isinstance(node, Element):
            if node.element and not node.namespace:
                yield node.element
            return
        else:  # an attribute, id, pseudo-class or :not() narrows it further; what it is inside still holds
            node = getattr(node, "selector", None)


@functools.lru_cache(maxsize=4096)
def needed_classes(selector: str) -> frozenset[str]:
    """Return the `.classes` every element a selector (or each part of a selector list) matches must have."""
    try:
        parts = parse(selector)
    except (SelectorError, ValueError, IndexError):
        return frozenset()
    needs = [frozenset(n for n in subject_needs(part.parsed_tree) if n.startswith(".")) for part in parts]
    return frozenset.intersection(*needs) if needs else frozenset()


def skipping_absent_classes(create: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wrap premailer's selector factory: a selector whose subject needs a class the page lacks finds nothing.

    Only classes are compared, never tags: before its rules run, premailer may add a <head> to the page (and
    removes <style> elements), while it changes no class until every rule has run. The classes of the page
    last seen are kept, keyed by the page itself (one tuple, replaced whole: threads may share it).
    """
    seen: list[tuple[Any, set[str]]] = [(None, set())]

    def create_selector(selector: str) -> Any:
        select = create(selector)  # first: a selector CSSSelector refuses still raises as it did
        needs = needed_classes(selector)
        if not needs:
            return select

        def run(page: Any) -> Any:
            last = seen[0]
            if last[0] is not page:
                last = seen[0] = (page, present(page))
            return select(page) if needs <= last[1] else []

        return run

    return create_selector
