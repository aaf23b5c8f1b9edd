"""Review pages: 待评价 and the review form with photos, 我的评价 with follow-ups, a product's review
section (summary, tags, filters, the list with replies and follow-ups; loaded into the product page
and also a page of its own), and the merchant's 评价管理 (filter by rating, reply)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from laotie.catalog import service as catalog
from laotie.core.auth import AnyUser, Principal, PublicAccess, Role, require_roles
from laotie.core.errors import AppError
from laotie.core.http import PathId, get_session
from laotie.core.pagination import PageParams
from laotie.reviews import errors
from laotie.reviews import service as reviews
from laotie.reviews.schemas import (
    MAX_PHOTOS,
    TAG_KEYWORDS,
    FollowupIn,
    HeldPart,
    Rating,
    ReplyIn,
    ReportIn,
    ReportReason,
    ReviewIn,
    Sort,
)
from laotie.shops import service as shops
from laotie.web import forms
from laotie.web.rendering import PageRoute, page_url, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 10
RATINGS = {"good": "好评", "middle": "中评", "bad": "差评"}
REPORT_REASONS = {
    "abuse": "辱骂攻击",
    "ad": "广告导流",
    "privacy": "泄露隐私",
    "fake": "虚假评价",
    "irrelevant": "与商品无关",
    "other": "其他",
}
STAR_LABELS = {"product_stars": "描述相符", "service_stars": "服务态度", "logistics_stars": "物流服务"}
LABELS: dict[str, Any] = {
    "ratings": RATINGS,
    "report_reasons": REPORT_REASONS,
    "star_labels": STAR_LABELS,
    "max_photos": MAX_PHOTOS,
}


def _photo_ids(request: Request, session: Session, principal: Principal, form: FormData) -> list[int]:
    limit = request.app.state.settings.max_upload_bytes
    files = forms.uploads(form, "photos")
    if len(files) > MAX_PHOTOS:
        raise errors.TOO_MANY_PHOTOS(limit=MAX_PHOTOS)
    storage = request.app.state.storage
    return [reviews.upload_photo(session, storage, principal, forms.upload_bytes(f, limit)).id for f in files]


def _stars(data: dict[str, str], name: str) -> int:
    value = data.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) == 1 else 0


@router.get("/reviews/pending", response_class=HTMLResponse)
def pending_page(
    request: Request,
    order: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    lines = reviews.pending_lines(session, principal)
    if order is not None:
        lines = [line for line in lines if line.order_id == order]
    return render(
        request, session, principal, "reviews/pending.html", lines=lines, order=order, tab="pending"
    )


@router.get("/reviews/new", response_class=HTMLResponse)
def review_form(
    request: Request,
    line: Annotated[int, Query(ge=1, le=2**53)],
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    target = reviews.pending_line(session, principal, line)
    return render(request, session, principal, "reviews/form.html", line=target, error=None, **LABELS)


@router.post("/reviews/new", response_model=None)
def submit_review(
    request: Request,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse | RedirectResponse:
    data = forms.fields(form)
    line_id = int(data["line"]) if data.get("line", "").isdigit() and len(data["line"]) < 16 else 0
    try:
        if not line_id:
            raise errors.LINE_NOT_FOUND(order_line_id=data.get("line", "")[:20])
        body = ReviewIn(
            order_line_id=line_id,
            product_stars=_stars(data, "product_stars"),
            service_stars=_stars(data, "service_stars"),
            logistics_stars=_stars(data, "logistics_stars"),
            text=data.get("text", "")[:500],
            anonymous=data.get("anonymous") == "1",
            photo_ids=_photo_ids(request, session, principal, form),
        )
        out = reviews.create_review(session, principal, body)
    except (AppError, ValidationError) as exc:
        session.rollback()
        message = exc.message("zh") if isinstance(exc, AppError) else "请检查评价内容"
        target = reviews.pending_line(session, principal, line_id)
        return render(
            request,
            session,
            principal,
            "reviews/form.html",
            422,
            line=target,
            error=message,
            form=data,
            **LABELS,
        )
    session.commit()
    done = "评价已提交，内容审核中" if out.status.value == "held" else "评价成功，感谢分享"
    return redirect("/reviews/mine", done)


@router.get("/reviews/mine", response_class=HTMLResponse)
def my_reviews(
    request: Request,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = reviews.my_reviews(session, principal, params)
    return render(
        request,
        session,
        principal,
        "reviews/mine.html",
        result=result,
        tab="mine",
        base="/reviews/mine",
        query={},
        **LABELS,
    )


@router.post("/reviews/{review_id}/followup", response_model=None)
def followup(
    request: Request,
    review_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    try:
        photo_ids = _photo_ids(request, session, principal, form)
        reviews.add_followup(
            session, principal, review_id, FollowupIn(text=data.get("text", "")[:500], photo_ids=photo_ids)
        )
    except (AppError, ValidationError) as exc:
        session.rollback()
        return redirect("/reviews/mine", exc.message("zh") if isinstance(exc, AppError) else "请检查追评内容")
    session.commit()
    return redirect("/reviews/mine", "追评成功")


def _section(
    session: Session, product_id: int, sort: str, filter_: str, tag: str, page: int
) -> dict[str, Any]:
    """What the product's review section shows; ``filter_``: photos, followup, good, middle, bad."""
    sort_by = Sort.HELPFUL if sort == "helpful" else Sort.NEWEST
    tag = tag if tag in TAG_KEYWORDS else ""
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    listed = reviews.product_reviews(
        session,
        product_id,
        params,
        sort=sort_by,
        rating=Rating(filter_) if filter_ in RATINGS else None,
        with_photos=filter_ == "photos",
        with_followup=filter_ == "followup",
        tag=tag or None,
    )
    return {
        "product_id": product_id,
        "summary": reviews.summary(session, product_id),
        "result": listed,
        "sort": sort_by.value,
        "filter": filter_ if filter_ in (*RATINGS, "photos", "followup") else "",
        "tag": tag,
        "page": page,
        **LABELS,
    }


SectionQuery = Annotated[str, Query(max_length=20)]


@router.get("/p/{product_id}/reviews", response_class=HTMLResponse)
def product_reviews_page(
    request: Request,
    product_id: PathId,
    sort: SectionQuery = "",
    filter: SectionQuery = "",
    tag: SectionQuery = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    part: bool = False,
    session: Session = Depends(get_session),
    principal: Principal | None = PublicAccess,
) -> HTMLResponse:
    """The whole list as a page (works without JavaScript); ``part`` is just the section, which the
    product page loads into itself."""
    product = catalog.get_listed(session, product_id)
    context = _section(session, product_id, sort, filter, tag, page)
    template = "reviews/_section.html" if part else "reviews/product.html"
    return render(request, session, principal, template, product=product, **context)


@router.post("/reviews/{review_id}/helpful", response_model=None)
def helpful(
    review_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    back = _back(forms.fields(form))
    try:
        reviews.mark_helpful(session, principal, review_id)
    except AppError as exc:
        session.rollback()
        return redirect(back, exc.message("zh"))
    session.commit()
    return redirect(back, "感谢你的反馈")


@router.post("/reviews/{review_id}/report", response_model=None)
def report(
    review_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    data = forms.fields(form)
    back = _back(data)
    try:
        reason = ReportReason(data.get("reason", "other"))
        reviews.report(
            session, principal, review_id, ReportIn(reason=reason, note=data.get("note", "")[:200])
        )
    except (AppError, ValueError) as exc:
        session.rollback()
        return redirect(back, exc.message("zh") if isinstance(exc, AppError) else "请选择举报原因")
    session.commit()
    return redirect(back, "举报已提交，平台会尽快处理")


def _back(data: dict[str, str]) -> str:
    target = data.get("back", "")
    return target if target.startswith("/p/") and "//" not in target else "/reviews/mine"


@router.get("/merchant/shops/{shop_id}/reviews", response_class=HTMLResponse)
def merchant_reviews(
    request: Request,
    shop_id: PathId,
    rating: SectionQuery = "",
    unreplied: bool = False,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> HTMLResponse:
    """评价管理: the shop's reviews, by rating, with a reply box under each one not yet answered."""
    shop = shops.require_shop_member(session, shop_id, principal)
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    chosen = Rating(rating) if rating in RATINGS else None
    result = reviews.shop_reviews(session, principal, shop_id, params, rating=chosen, unreplied=unreplied)
    return render(
        request,
        session,
        principal,
        "reviews/merchant.html",
        shop=shop,
        result=result,
        rating=chosen.value if chosen else "",
        unreplied=unreplied,
        base=f"/merchant/shops/{shop_id}/reviews",
        query={"rating": chosen.value if chosen else "", "unreplied": 1 if unreplied else ""},
        page_url=page_url,
        **LABELS,
    )


@router.post("/merchant/reviews/{review_id}/reply", response_model=None)
def merchant_reply(
    review_id: PathId,
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = AnyUser,
) -> RedirectResponse:
    """The shop's reply; the review names its shop, and the service checks the caller belongs to it."""
    data = forms.fields(form)
    shop = data.get("shop", "")
    back = f"/merchant/shops/{shop}/reviews" if shop.isdigit() and len(shop) < 16 else "/merchant"
    try:
        body = ReplyIn(text=data.get("text", "")[:500])
        reviews.reply(session, principal, review_id, body, to_followup=data.get("part") == "followup")
    except (AppError, ValidationError) as exc:
        session.rollback()
        return redirect(back, exc.message("zh") if isinstance(exc, AppError) else "请填写回复内容")
    session.commit()
    return redirect(back, "回复成功，买家可以看到")


Staff = require_roles(Role.GOVERNANCE, Role.ADMIN)
STAFF_PAGE = "/governance/reviews"


@router.get(STAFF_PAGE, response_class=HTMLResponse)
def staff_page(
    request: Request, session: Session = Depends(get_session), principal: Principal = Staff
) -> HTMLResponse:
    """评价治理: what screening held (release or remove) and open reports (remove or dismiss)."""
    params = PageParams(limit=50, offset=0)
    return render(
        request,
        session,
        principal,
        "reviews/governance.html",
        held=reviews.held(session, params),
        reports=reviews.open_reports(session, params),
        **LABELS,
    )


@router.post(STAFF_PAGE + "/{target_id}/{action}", response_model=None)
def staff_act(
    target_id: PathId,
    action: Literal["release", "remove", "dismiss"],
    form: FormData = Depends(forms.read_form),
    session: Session = Depends(get_session),
    principal: Principal = Staff,
) -> RedirectResponse:
    """``target_id``: the review's id, or the report's for ``dismiss``; ``part`` names what to release."""
    data = forms.fields(form)
    try:
        if action == "release":
            reviews.release(session, principal, target_id, HeldPart(data.get("part", "review")))
        elif action == "remove":
            reviews.remove(
                session, target_id, data.get("reason", "").strip()[:200] or "违反评价规范", principal.user_id
            )
        else:
            reviews.dismiss_report(session, principal, target_id)
    except (AppError, ValueError) as exc:
        session.rollback()
        return redirect(STAFF_PAGE, exc.message("zh") if isinstance(exc, AppError) else "请求有误")
    session.commit()
    return redirect(
        STAFF_PAGE,
        {"release": "已放行", "remove": "评价已删除，不再计入评分", "dismiss": "举报已驳回"}[action],
    )
