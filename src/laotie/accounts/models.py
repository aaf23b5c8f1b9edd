from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from laotie.core.db import Base, BigId, UTCDateTime


class User(Base):
    __tablename__ = "accounts_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    nickname: Mapped[str] = mapped_column(String(40))
    bio: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserRole(Base):
    __tablename__ = "accounts_user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="roles")


class AccessToken(Base):
    __tablename__ = "accounts_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client: Mapped[str] = mapped_column(String(200), default="")


class LoginAttempt(Base):
    """Failed log-ins, counted per identifier and per client address to slow guessing."""

    __tablename__ = "accounts_login_attempt"
    __table_args__ = (
        Index("ix_accounts_login_attempt_identifier_at", "identifier", "at"),
        Index("ix_accounts_login_attempt_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
