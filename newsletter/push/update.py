"""The create-or-update step most platforms share: update the recorded draft, or create one (again)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from newsletter.push.common import Context
from newsletter.push.http import PushError, Session


def create_or_update(ctx: Context, s: Session, *, create: tuple[str, str], update: tuple[str, str],
                     body: Any, new_id: Callable[[Any], Any], update_body: Any = None) -> bool:
    """Update the draft the record names (creating a new one if the platform lost it); return True if created."""
    if ctx.record.id:
        try:
            s.request(update[0], update[1].format(id=ctx.record.id),
                      json_body=body if update_body is None else update_body)
            return False
        except PushError as exc:
            if exc.status != 404:
                raise
            ctx.notes.append(f"note: the recorded draft {ctx.record.id} is gone from {s.platform}: creating a "
                             "new one")
    ctx.record.id = str(new_id(s.request(create[0], create[1], json_body=body, dry_answer={"id": "DRY-RUN"})))
    return True
