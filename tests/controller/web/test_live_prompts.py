"""A prompt on the live page of a run started from the plans page: shown, answered, gone."""

from __future__ import annotations

import re
from pathlib import Path

from tests.controller.web.support import channel_of, csrf_of, wait_closed
from tests.controller.web.test_operator import ask_only_app, asked, start, stored


def test_the_live_page_shows_a_waiting_prompt_and_its_answer_form_ends_it(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    run_id = start(client)
    question = asked(channel_of(app, run_id))
    page = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    section = page.split('id="run-prompt"', 1)[1].split("</section>", 1)[0]
    assert "Is the power LED green?" in section
    buttons = re.findall(r'class="prompt-answer" name="answer" value="(\w+)"', section)
    assert buttons == ["yes", "no"]
    answered = client.post(
        f"/runs/{run_id}/prompts/{question['prompt_id']}",
        data={"csrf_token": csrf_of(client), "answer": "yes"},
    )
    assert answered.status_code == 303
    assert answered.headers["Location"] == f"/runs/{run_id}/live"
    wait_closed(app, run_id)
    assert stored(tmp_path, run_id).status == "passed"
    after = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    assert 'class="prompt-answer"' not in after
