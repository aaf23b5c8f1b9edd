"""Stable error codes with a message in the caller's language (zh-CN first, English second).

Each domain declares its kinds in its own ``errors.py``::

    SHOP_NOT_FOUND = ErrorKind("SHOP_NOT_FOUND", 404, "店铺不存在", "Shop not found")
    raise SHOP_NOT_FOUND(shop_id=3)

Messages may use ``{name}`` placeholders filled from the keyword arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_REGISTRY: dict[str, ErrorKind] = {}


@dataclass(frozen=True)
class ErrorKind:
    code: str
    status: int
    zh: str
    en: str

    def __post_init__(self) -> None:
        known = _REGISTRY.get(self.code)
        if known is not None and known != self:
            raise ValueError(f"error code {self.code} declared twice with different meanings")
        _REGISTRY[self.code] = self

    def __call__(self, **details: Any) -> AppError:
        return AppError(self, details)


class AppError(Exception):
    def __init__(self, kind: ErrorKind, details: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.details = details or {}
        super().__init__(f"{kind.code}: {self.message('en')}")

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def status(self) -> int:
        return self.kind.status

    def message(self, lang: str = "zh") -> str:
        template = self.kind.en if lang.startswith("en") else self.kind.zh
        try:
            return template.format(**self.details)
        except (KeyError, IndexError):
            return template


def registered_codes() -> dict[str, ErrorKind]:
    return dict(_REGISTRY)


def preferred_language(accept_language: str | None) -> str:
    """zh unless the caller prefers English over Chinese."""
    if not accept_language:
        return "zh"
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


VALIDATION_ERROR = ErrorKind("VALIDATION_ERROR", 422, "请求参数不正确", "The request is not valid")
NOT_AUTHENTICATED = ErrorKind("NOT_AUTHENTICATED", 401, "请先登录", "Log in first")
FORBIDDEN = ErrorKind("FORBIDDEN", 403, "没有权限进行此操作", "You may not do this")
NOT_FOUND = ErrorKind("NOT_FOUND", 404, "资源不存在", "Not found")
RATE_LIMITED = ErrorKind("RATE_LIMITED", 429, "操作过于频繁，请稍后再试", "Too many attempts; try later")
CONFLICT = ErrorKind("CONFLICT", 409, "数据已被修改，请刷新后重试", "Changed meanwhile; reload and retry")
# Comments (live rooms and short videos share the codes and the wording).
COMMENT_TOO_LONG = ErrorKind(
    "COMMENT_TOO_LONG", 422, "评论不能超过{limit}个字", "A comment may have at most {limit} characters"
)
COMMENT_TOO_FAST = ErrorKind(
    "COMMENT_TOO_FAST", 429, "评论太频繁，请稍后再试", "Commenting too fast; wait a moment"
)
INTERNAL = ErrorKind("INTERNAL", 500, "服务器开小差了", "Internal error")
FILE_TOO_LARGE = ErrorKind(
    "FILE_TOO_LARGE", 413, "文件过大，不能超过{limit_mb}MB", "The file is too large (limit {limit_mb} MB)"
)
