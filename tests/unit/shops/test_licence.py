from __future__ import annotations

import pytest

from laotie.core.errors import AppError
from laotie.shops.licence import check_character, validate_licence

# Codes printed on real, public business licences.
REAL_COMPANY_CODES = [
    "9144030071526726XG",
    "91330100716105852F",
    "914403001922038216",
    "91110108551385082Q",
]


@pytest.mark.parametrize("code", REAL_COMPANY_CODES)
def test_real_codes_have_the_check_character_we_compute(code: str) -> None:
    assert check_character(code[:17]) == code[17]
    assert validate_licence(code, "company") == code


def test_input_is_normalised() -> None:
    assert validate_licence(" 9144 0300 7152 6726xg ", "company") == "9144030071526726XG"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("9144030071526726XH", "check_character"),  # last character changed
        ("9144030071526762XG", "check_character"),  # two neighbours swapped
        ("9144030071526726X", "format"),  # 17 characters
        ("9144030071526726XGG", "format"),  # 19 characters
        ("91440300715267I6XG", "format"),  # I is never used
        ("914403A071526726XG", "format"),  # letters in the division code
        ("", "format"),
    ],
)
def test_malformed_codes_are_refused(code: str, problem: str) -> None:
    with pytest.raises(AppError) as caught:
        validate_licence(code, "company")
    assert caught.value.code == "INVALID_LICENCE"
    assert caught.value.details["problem"] == problem


def test_prefix_must_match_the_entity_type() -> None:
    with pytest.raises(AppError) as caught:
        validate_licence("9144030071526726XG", "individual_business")
    assert caught.value.code == "LICENCE_ENTITY_MISMATCH"
    assert caught.value.details["expected_prefix"] == "92"
    first17 = "92440300MA5F00001"
    code = first17 + check_character(first17)
    assert validate_licence(code, "individual_business") == code
    with pytest.raises(AppError):
        validate_licence(code, "company")


def test_a_check_value_of_zero_maps_to_the_digit_zero() -> None:
    # Find a body whose weighted sum is a multiple of 31; its check character must be "0", not 31.
    for n in range(10_000):
        first17 = f"91110000MA{n:07d}"
        if check_character(first17) == "0":
            assert validate_licence(first17 + "0", "company").endswith("0")
            return
    pytest.fail("no body with check character 0 found")
