"""The access log never carries a query-string secret (nginx-rtmp's callbacks, the cashier's)."""

from __future__ import annotations

import logging

import pytest
from uvicorn.logging import AccessFormatter

from laotie.core.access_log import ACCESS_LOGGER, RedactSecrets, log_config, redact, secrets_redacted


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/api/v1/live/media/on-publish?secret=s3cr-et_9", "/api/v1/live/media/on-publish?secret=***"),
        ("/x?a=1&client_secret=cs_abc&b=2", "/x?a=1&client_secret=***&b=2"),
        ("/x?SECRET=abc#frag", "/x?SECRET=***#frag"),
        ("/x?secretary=keep&token=t", "/x?secretary=keep&token=***"),
        ("/api/v1/products?page=2", "/api/v1/products?page=2"),
        ("/api/v1/health", "/api/v1/health"),
    ],
)
def test_only_the_secret_values_are_hidden(path: str, shown: str) -> None:
    assert redact(path) == shown


def test_a_uvicorn_access_line_shows_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    with secrets_redacted(), caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        # The call uvicorn's protocols make for every answered request.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "POST",
            "/api/v1/live/media/on-publish?secret=hunter2",
            "1.1",
            302,
        )
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert "hunter2" not in line
    assert "on-publish?secret=***" in line and "302" in line
    assert not any(isinstance(f, RedactSecrets) for f in logger.filters), "removed on exit"


def test_serve_writes_the_access_line_plainly_and_still_redacted(caplog: pytest.LogCaptureFixture) -> None:
    config = log_config()
    formatter = logging.Formatter(config["formatters"]["access"]["format"])
    assert config["handlers"]["access"]["formatter"] == "access"
    logger = logging.getLogger(ACCESS_LOGGER)
    with secrets_redacted(), caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        logger.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", "/pay?client_secret=s3cr3t", "1.1", 202
        )
    [record] = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert formatter.format(record) == 'INFO:     127.0.0.1:5000 - "POST /pay?client_secret=*** HTTP/1.1" 202'
