from __future__ import annotations

from fastapi import APIRouter

from laotie.categories import service
from laotie.categories.schemas import CategoryCreate, CategoryNode, CategoryOut
from laotie.core.auth import Principal, PublicAccess, Role, require_roles
from laotie.core.http import DbSession, PathId

router = APIRouter(prefix="/api/v1/categories", tags=["categories"])


@router.get("", response_model=list[CategoryNode])
def category_tree(session: DbSession, _: object = PublicAccess) -> list[CategoryNode]:
    return service.tree(session)


@router.get("/{category_id}", response_model=CategoryOut)
def get_category(session: DbSession, category_id: PathId, _: object = PublicAccess) -> CategoryOut:
    return service.get_category(session, category_id)


@router.post("", response_model=CategoryOut, status_code=201)
def create_category(
    session: DbSession, body: CategoryCreate, _: Principal = require_roles(Role.ADMIN)
) -> CategoryOut:
    return service.create_category(session, body)
