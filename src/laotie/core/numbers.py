"""Whole numbers in request bodies: quantities, money, ids, rates.

A request body's integer is a JSON integer and nothing else: ``true``, ``"1"`` and ``1.0`` are refused
with 422 instead of being read as 1 (pydantic's lax mode would accept all three, and a client sending
them has a bug worth hearing about). Request schemas declare their integers with these types, bounds
in ``Field``; ``core.ids.Id`` is the same for row ids. Query and path parameters arrive as text, so
they stay lax (``core.http.PathId``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

StrictInt = Annotated[int, Strict()]
