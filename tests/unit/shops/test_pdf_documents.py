"""Issue 9 item 12: a shop document that starts with ``%PDF-`` is a PDF only if a real parser reads it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from laotie.core.errors import AppError
from laotie.shops.filetypes import MAX_PDF_PAGES, sniff
from tests.factories.shops import pdf_bytes


def _encrypted() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_well_formed_pdfs_pass() -> None:
    assert sniff(pdf_bytes()) == ("application/pdf", ".pdf")
    assert sniff(pdf_bytes(pages=3)) == ("application/pdf", ".pdf")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"%PDF-1.4\n", "unreadable"),
        (b"%PDF-1.7\nthis is just text pretending to be a licence\n%%EOF\n", "unreadable"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "unreadable"),
        (pdf_bytes()[:-200], "unreadable"),  # truncated: no cross-reference table
        (b"%PDF-1.4" + b"\x00" * 4096, "unreadable"),
        (_encrypted(), "encrypted"),
        (pdf_bytes(pages=MAX_PDF_PAGES + 1), "pages"),
    ],
)
def test_malformed_pdfs_are_refused_with_a_stable_code(data: bytes, problem: str) -> None:
    with pytest.raises(AppError) as caught:
        sniff(data)
    assert (caught.value.code, caught.value.status) == ("INVALID_PDF", 422)
    assert caught.value.details["problem"] == problem
