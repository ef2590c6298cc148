"""The web UI end to end in-process: start the bring-up from the plans page, watch it end."""

from __future__ import annotations

from pathlib import Path

from mfg_ctl.store import RunStore
from tests.controller.web.support import make_app, post, wait_closed


def test_a_run_started_from_the_plans_page_is_stored_with_its_eleven_steps(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    started = post(client, "/runs", plan="station_bringup", sns="SN-W1", stage="EVT")
    assert started.status_code == 303
    run_id = started.headers["Location"].split("/")[2]
    channel = wait_closed(app, run_id)
    finished = [m.data["number"] for m in channel.snapshot() if m.kind == "step_finished"]
    assert finished == list(range(1, 12))
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        stored = store.get(run_id)
    assert (stored.status, stored.sn, stored.stage) == ("passed", "SN-W1", "EVT")
    page = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    assert page.count('class="step pass"') == 11
