"""The unified social credit code (统一社会信用代码, GB 32100-2015) printed on a business licence.

Eighteen characters: registration authority (1), entity category (1), administrative division (6
digits), organisation code (9), check character (1). Letters I, O, S, V and Z are never used, so
that they cannot be mistaken for digits. The check character makes a single mistyped character or a
swap of neighbours detectable before a reviewer ever looks at the application.
"""

from __future__ import annotations

import re

from laotie.shops import errors

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The weight of position i is 3**i mod 31 (1, 3, 9, 27, 19, 26, ...), as the standard tabulates.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_SHAPE = re.compile(rf"[{ALPHABET}]{{2}}\d{{6}}[{ALPHABET}]{{10}}")
# Registration authority 9 is market regulation (工商); the next character says what was registered.
ENTITY_PREFIXES = {"company": "91", "individual_business": "92"}


def check_character(first17: str) -> str:
    """The 18th character for the first seventeen."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_licence(raw: str) -> str:
    """Spaces removed and letters upper-cased; the input a merchant copies from a licence is messy."""
    return re.sub(r"\s", "", raw).upper()


def validate_licence(raw: str, entity_type: str) -> str:
    """The normalised code, or ``INVALID_LICENCE`` / ``LICENCE_ENTITY_MISMATCH``."""
    code = normalize_licence(raw)
    if not _SHAPE.fullmatch(code):
        raise errors.INVALID_LICENCE(problem="format")
    if check_character(code[:17]) != code[17]:
        raise errors.INVALID_LICENCE(problem="check_character")
    prefix = ENTITY_PREFIXES.get(entity_type)
    if prefix is not None and not code.startswith(prefix):
        raise errors.LICENCE_ENTITY_MISMATCH(entity_type=entity_type, expected_prefix=prefix)
    return code
