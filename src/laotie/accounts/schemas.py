from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.auth import Role


class SignUp(BaseModel):
    phone: str | None = Field(default=None, max_length=20, examples=["13800138000"])
    email: str | None = Field(default=None, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    nickname: str = Field(default="", max_length=40)


class LogIn(BaseModel):
    identifier: str = Field(min_length=1, max_length=254, description="phone number or e-mail")
    password: str = Field(min_length=1, max_length=128)


class ProfileUpdate(BaseModel):
    nickname: str | None = Field(default=None, min_length=1, max_length=40)
    bio: str | None = Field(default=None, max_length=500)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    phone: str | None
    email: str | None
    nickname: str
    bio: str
    roles: list[Role]
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserOut


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    expires_at: datetime
    client: str
    current: bool


class RoleGrant(BaseModel):
    role: Role
