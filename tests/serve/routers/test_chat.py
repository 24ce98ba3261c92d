"""POST /v1/chat/completions: which message is the question, and the extension field."""

from __future__ import annotations

from inhouse.serve.config import SUPPORT_MODEL
from tests.serve.conftest import Http


def test_the_last_user_message_is_the_question_and_text_parts_count(http: Http) -> None:
    messages = [
        {"role": "system", "content": "You are a bank's assistant."},
        {"role": "user", "content": "I want a mortgage"},
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": [{"type": "text", "text": "Actually, my card was stolen"}]},
    ]
    body = {"model": SUPPORT_MODEL, "messages": messages, "temperature": 0.2, "max_tokens": 50}
    response = http.post("/v1/chat/completions", body)
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["object"] == "chat.completion" and done["model"] == SUPPORT_MODEL
    assert done["inhouse"]["citations"][0]["article_id"] == "card-lost"
    usage = done["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_an_unknown_question_escalates_in_the_extension_field(http: Http) -> None:
    messages = [{"role": "user", "content": "who won the football world cup in 1966"}]
    done = http.post("/v1/chat/completions", {"model": SUPPORT_MODEL, "messages": messages}).json()
    assert done["inhouse"]["escalate"] is True
    assert "human" in done["choices"][0]["message"]["content"]
