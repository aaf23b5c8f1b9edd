"""Accounts: sign-up, log-in with rate limiting, revocable bearer tokens, roles and profiles."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from laotie.accounts import errors
from laotie.accounts.models import AccessToken, LoginAttempt, User, UserRole
from laotie.accounts.schemas import SessionOut, UserOut
from laotie.core import clock
from laotie.core.auth import Principal, Role, hash_password, verify_password
from laotie.core.ids import new_token, token_hash
from laotie.settings import get_settings

_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize_phone(raw: str) -> str:
    """Accept ``13800138000``, ``+86 138 0013 8000`` or ``138-0013-8000``; return 11 digits."""
    digits = re.sub(r"[\s-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.fullmatch(digits):
        raise errors.INVALID_PHONE()
    return digits


def normalize_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise errors.INVALID_EMAIL() from None


def check_password_strength(password: str) -> None:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise errors.WEAK_PASSWORD()


def mask_phone(phone: str | None) -> str | None:
    return f"{phone[:3]}****{phone[-4:]}" if phone else None


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        phone=user.phone,
        email=user.email,
        nickname=user.nickname,
        bio=user.bio,
        roles=sorted(Role(r.role) for r in user.roles),
        created_at=user.created_at,
    )


def register(
    session: Session,
    *,
    password: str,
    phone: str | None = None,
    email: str | None = None,
    nickname: str = "",
    roles: tuple[Role, ...] = (Role.BUYER,),
) -> User:
    if not phone and not email:
        raise errors.IDENTIFIER_REQUIRED()
    phone = normalize_phone(phone) if phone else None
    email = normalize_email(email) if email else None
    check_password_strength(password)
    same_identity = [User.phone == phone] if phone else []
    same_identity += [User.email == email] if email else []
    if session.scalar(select(User.id).where(or_(*same_identity))) is not None:
        raise errors.ACCOUNT_EXISTS()
    now = clock.now()
    user = User(
        phone=phone,
        email=email,
        password_hash=hash_password(password),
        nickname=nickname.strip() or f"老铁{(phone or email or '')[-4:]}",
        bio="",
        created_at=now,
    )
    user.roles = [UserRole(role=r.value, granted_at=now) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    return user


def _find_by_identifier(session: Session, identifier: str) -> User | None:
    ident = identifier.strip()
    if "@" in ident:
        try:
            return session.scalar(select(User).where(User.email == normalize_email(ident)))
        except Exception:
            return None
    try:
        return session.scalar(select(User).where(User.phone == normalize_phone(ident)))
    except Exception:
        return None


def _failures_since(session: Session, since: datetime, **match: str) -> tuple[int, datetime | None]:
    """Failed log-ins since ``since`` matching ``identifier``/``client``: how many, and the latest."""
    filters = [LoginAttempt.at >= since] + [getattr(LoginAttempt, k) == v for k, v in match.items()]
    count, latest = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).select_from(LoginAttempt).where(*filters)
    ).one()
    return count or 0, latest


def _login_key(identifier: str) -> str:
    return identifier.strip().lower()[:254]


def _check_login_rate(session: Session, identifier: str, client: str) -> None:
    """Lock-out per (source address, account) pair, never the account for everyone: after
    ``login_attempts`` failures from one address at one account, that pair waits
    ``login_backoff_seconds`` × 2^(failures beyond the allowance), up to ``login_backoff_max_seconds``,
    after its latest failure. The owner logging in from elsewhere is not affected. One address trying
    many accounts (spraying) is stopped by its own wider budget per window."""
    settings = get_settings()
    now = clock.now()
    key = _login_key(identifier)
    failures, latest = _failures_since(
        session,
        now - timedelta(seconds=settings.login_backoff_max_seconds),
        identifier=key,
        client=client[:64],
    )
    if failures >= settings.login_attempts and latest is not None:
        beyond = failures - settings.login_attempts
        wait = min(settings.login_backoff_seconds * 2 ** min(beyond, 30), settings.login_backoff_max_seconds)
        latest = latest if latest.tzinfo else latest.replace(tzinfo=now.tzinfo)
        remaining = (latest + timedelta(seconds=wait) - now).total_seconds()
        if remaining > 0:
            raise errors.TOO_MANY_LOGINS(retry_after=math.ceil(remaining))
    # The per-address budget is wider: several people can share one address (NAT, office).
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    if _failures_since(session, window_start, client=client[:64])[0] >= settings.login_attempts * 4:
        raise errors.TOO_MANY_LOGINS(retry_after=settings.login_window_seconds)


def record_failed_login(session: Session, identifier: str, client: str) -> None:
    session.add(LoginAttempt(identifier=_login_key(identifier), client=client[:64], at=clock.now()))
    session.flush()


def forget_failed_logins(session: Session, identifier: str, client: str) -> None:
    """A successful log-in clears its pair's failures: the backoff starts afresh next time."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.identifier == _login_key(identifier), LoginAttempt.client == client[:64]
        )
    )


def authenticate(session: Session, identifier: str, password: str, client: str) -> User:
    """Check credentials; the caller must commit a recorded failure even though this raises."""
    _check_login_rate(session, identifier, client)
    user = _find_by_identifier(session, identifier)
    if user is None or not verify_password(user.password_hash, password):
        raise errors.WRONG_CREDENTIALS()
    if user.disabled_at is not None:
        raise errors.ACCOUNT_DISABLED()
    forget_failed_logins(session, identifier, client)
    return user


def issue_token(session: Session, user: User, client: str = "") -> tuple[str, AccessToken]:
    token = new_token()
    now = clock.now()
    row = AccessToken(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=get_settings().token_ttl_hours),
        client=client[:200],
    )
    session.add(row)
    session.flush()
    return token, row


def resolve_principal(session: Session, token: str) -> Principal | None:
    row = session.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return Principal(user_id=user.id, roles=frozenset(Role(r.role) for r in user.roles), token_id=row.id)


# The principal cache's batched look-up, built once: rebuilding these ORM selects per look-up cost
# more than running them (issue 15, session 6: the misses of a flash sale's pay phase, whose tokens
# were cached during the rush more than the cache's few seconds before).
_TOKENS = AccessToken.__table__
_USERS = User.__table__
_ROLES = UserRole.__table__
_LIVE_TOKENS = (
    select(_TOKENS.c.token_hash, _TOKENS.c.id, _TOKENS.c.user_id)
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id))
    .where(
        _TOKENS.c.token_hash.in_(bindparam("hashes", expanding=True)),
        _TOKENS.c.revoked_at.is_(None),
        _TOKENS.c.expires_at > bindparam("now"),
        _USERS.c.disabled_at.is_(None),
    )
)
_ROLES_OF = select(_ROLES.c.user_id, _ROLES.c.role).where(
    _ROLES.c.user_id.in_(bindparam("user_ids", expanding=True))
)


def resolve_principals(session: Session, tokens: list[str]) -> dict[str, Principal | None]:
    """``resolve_principal`` for many tokens in two queries (the principal cache's batched misses)."""
    by_hash = {token_hash(t): t for t in tokens}
    found: dict[str, Principal | None] = dict.fromkeys(tokens)
    if not by_hash:
        return found
    conn = session.connection()
    rows = conn.execute(_LIVE_TOKENS, {"hashes": list(by_hash), "now": clock.now()}).all()
    roles: dict[int, set[Role]] = {}
    user_ids = {user_id for _, _, user_id in rows}
    if user_ids:
        for user_id, role in conn.execute(_ROLES_OF, {"user_ids": list(user_ids)}):
            roles.setdefault(user_id, set()).add(Role(role))
    for digest, token_id, user_id in rows:
        found[by_hash[digest]] = Principal(
            user_id=user_id, roles=frozenset(roles.get(user_id, ())), token_id=token_id
        )
    return found


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    row = session.get(AccessToken, token_id)
    if row is None or row.user_id != user_id:
        raise errors.TOKEN_NOT_FOUND()
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    session.flush()


def revoke_all_tokens(session: Session, user_id: int) -> int:
    rows = session.scalars(
        select(AccessToken).where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
    ).all()
    now = clock.now()
    for row in rows:
        row.revoked_at = now
    session.flush()
    return len(rows)


def list_sessions(session: Session, principal: Principal) -> list[SessionOut]:
    rows = session.scalars(
        select(AccessToken)
        .where(
            AccessToken.user_id == principal.user_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > clock.now(),
        )
        .order_by(AccessToken.id.desc())
    ).all()
    return [
        SessionOut(
            id=r.id,
            created_at=r.created_at,
            expires_at=r.expires_at,
            client=r.client,
            current=r.id == principal.token_id,
        )
        for r in rows
    ]


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise errors.USER_NOT_FOUND()
    return user


def get_user_out(session: Session, user_id: int) -> UserOut:
    return user_out(get_user(session, user_id))


def find_user_id_by_phone(session: Session, phone: str) -> int | None:
    """The active user registered with ``phone`` (any accepted spelling), or None; INVALID_PHONE if malformed."""
    normalized = normalize_phone(phone)
    return session.scalar(select(User.id).where(User.phone == normalized, User.disabled_at.is_(None)))


def active_user_ids(session: Session, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` are users who exist and are not disabled (one query)."""
    if not user_ids:
        return set()
    found = session.scalars(select(User.id).where(User.id.in_(set(user_ids)), User.disabled_at.is_(None)))
    return set(found)


def update_profile(session: Session, user_id: int, nickname: str | None, bio: str | None) -> User:
    user = get_user(session, user_id)
    if nickname is not None:
        user.nickname = nickname.strip() or user.nickname
    if bio is not None:
        user.bio = bio
    session.flush()
    return user


def grant_role(session: Session, user_id: int, role: Role) -> None:
    """Give a user a role (idempotent). Shops call this when a shop opens."""
    user = get_user(session, user_id)
    if role.value not in {r.role for r in user.roles}:
        user.roles.append(UserRole(role=role.value, granted_at=clock.now()))
    session.flush()


def revoke_role(session: Session, user_id: int, role: Role) -> None:
    user = get_user(session, user_id)
    user.roles = [r for r in user.roles if r.role != role.value]
    session.flush()
