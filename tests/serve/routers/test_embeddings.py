"""POST /v1/embeddings: bad input answers 400, never 500."""

from __future__ import annotations

import pytest

from inhouse.models.embedder import DEFAULT_EMBEDDER
from tests.serve.conftest import Http


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"input": []}, "at least one text"),
        ({"input": ["card", " "]}, "input[1]: the text is empty"),
        ({"input": [[1, 2, 3]]}, "token arrays are not supported"),
        ({"input": ["x"] * 10_000}, "10,000 texts in one request, more than the limit of 2,048"),
        ({"input": 42}, "input"),
        ({"input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "x", "dimensions": 0}, "dimensions"),
    ],
)
def test_bad_inputs_are_400(http: Http, payload, fragment) -> None:
    response = http.post("/v1/embeddings", {"model": DEFAULT_EMBEDDER, **payload})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_unknown_fields_are_accepted_and_logged(http: Http, caplog) -> None:
    body = {"model": DEFAULT_EMBEDDER, "input": "card", "colour": "blue", "priority": 1}
    with caplog.at_level("WARNING", logger="inhouse.serve"):
        response = http.post("/v1/embeddings", body)
    assert response.status_code == 200 and len(response.json()["data"][0]["embedding"]) == 384
    assert "ignoring unknown fields: colour, priority" in caplog.text
