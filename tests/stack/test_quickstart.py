"""The README's quickstart, run as it stands there: its shell block (curl: sign up, log in, a
group, a message, the history) and then its Python block (websockets: a ticket, a socket, a
message sent and its live event), against the local stack. Only `API` and `WS` are set, as the
README's own lines read them; the live event is also checked against the AsyncAPI document."""
import json
import os
import pathlib
import re
import subprocess
import sys

import jsonschema_rs
import pytest

from chalicelib.edge import asyncapi

pytestmark = pytest.mark.stack

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def _quickstart_blocks():
    """The ```sh and ```python blocks of the README's Quickstart section, verbatim."""
    section = README.read_text().split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    python = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    return shell, python


def test_the_readme_quickstart_runs_as_written(stack, tmp_path):
    shell, python = _quickstart_blocks()
    env = {**os.environ, "API": stack["http"], "WS": stack["ws"],
           "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    # The README's lines, then ours: report what they left in the environment.
    script = tmp_path / "quickstart.sh"
    script.write_text("set -eu\n" + shell + 'printf "\\nTOKEN=%s\\nGROUP=%s\\n" "$TOKEN" "$GROUP"\n')
    ran = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    printed, _, reported = ran.stdout.rpartition("\nTOKEN=")
    found = dict(line.split("=", 1) for line in ("TOKEN=" + reported).strip().splitlines())
    registered, sent, history = _json_values(printed)
    # Run twice against one stack, the sign-up is refused (409) and the rest works the same.
    # Mei is nobody else's: the API's examples (chalicelib/edge/examples.py), which the fuzz
    # tests send, use other people, so a second run finds her from the first one (same password).
    assert registered.get("user", {}).get("email") == "mei@example.com" or registered["error"]["code"] == "email_taken"
    assert sent["message"]["text"] == "Hello, world" and sent["message"]["conversationId"] == found["GROUP"]
    assert [message["text"] for message in history["messages"]] == ["Hello, world"]  # a new group each run

    live = tmp_path / "live.py"
    live.write_text(python)
    ran = subprocess.run([sys.executable, str(live)], capture_output=True, text=True, timeout=60,
                         env={**env, "TOKEN": found["TOKEN"], "GROUP": found["GROUP"]})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.strip() == "message Hello, live"


def _json_values(text):
    """The JSON values curl printed one after another (with or without newlines between)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        value, at = decoder.raw_decode(text, at)
        values.append(value)
    return values


def test_the_quickstart_event_is_the_one_the_asyncapi_document_describes(stack):
    # The live event the quickstart prints, as a socket gets it, against its published schema.
    from tests.live import Api, Listener, unique_email

    user = Api(stack["http"], unique_email("quick"))
    group = user.call("POST", "/groups/create", {"name": "Quick", "type": "open"}).json()["group"]["id"]
    ticket = user.call("POST", "/realtime/ticket").json()["ticket"]
    listener = Listener(f"{stack['ws']}/?ticket={ticket}")
    try:
        user.call("POST", "/messages/send", {"groupId": group, "text": "checked"})
        event = listener.wait_for(lambda frame: frame.get("type") == "message")
        listener.send({"action": "ping", "requestId": "r1"})
        pong = listener.wait_for(lambda frame: frame.get("type") == "pong")
    finally:
        listener.close()
    messages = asyncapi.document()["components"]["messages"]
    for frame, key in ((event, "event.message"), (pong, "event.pong")):
        errors = [error.message for error in
                  jsonschema_rs.validator_for(messages[key]["payload"], validate_formats=True).iter_errors(frame)]
        assert not errors, (frame, errors)
