"""A client generated from the running stack's own GET /openapi.json by a standard generator
(openapi-python-client, pinned in requirements-dev.txt) signs up, logs in, makes a group, sends
and reads the history back, and reads a refusal as the documented error type. So the document
stays one a generator turns into a working SDK: a generator warning, or generated code that does
not compile, fails here too."""
import ast
import importlib
import pathlib
import subprocess
import sys

import pytest
import requests

from tests.live import unique_email

pytestmark = pytest.mark.stack

GENERATOR = pathlib.Path(sys.executable).with_name("openapi-python-client")
CONFIG = "post_hooks: []\nproject_name_override: messaging_client\npackage_name_override: messaging_client\n"


@pytest.fixture(scope="module")
def sdk(stack, tmp_path_factory):
    where = tmp_path_factory.mktemp("sdk")
    (where / "openapi.json").write_text(requests.get(f"{stack['http']}/openapi.json", timeout=30).text)
    (where / "config.yaml").write_text(CONFIG)
    answer = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none", "--output-path", "messaging_client",
         "--config", "config.yaml"], cwd=where, capture_output=True, text=True, timeout=300)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "warning" not in (answer.stdout + answer.stderr).lower(), answer.stdout + answer.stderr
    for module in (where / "messaging_client").rglob("*.py"):
        ast.parse(module.read_text(), str(module))  # generated code that does not even parse fails here
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("messaging_client")
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == "messaging_client"]:
            del sys.modules[name]


def test_a_generated_client_signs_up_makes_a_group_sends_and_reads_history(stack, sdk):
    from messaging_client import AuthenticatedClient, Client
    from messaging_client.api.accounts import get_me, log_in, register_user
    from messaging_client.api.groups import create_group
    from messaging_client.api.messages import list_messages, send_message
    from messaging_client.models import (
        CreateGroupRequest,
        CreateGroupRequestType,
        History,
        LoginRequest,
        RegisterRequest,
        SendToGroupRequest,
        UnauthorizedError,
    )
    from messaging_client.models.unauthorized_error_error_code import UnauthorizedErrorErrorCode

    email, password = unique_email("sdk"), "a long password"
    public = Client(base_url=stack["http"], raise_on_unexpected_status=True)
    user = register_user.sync(client=public, body=RegisterRequest(email=email, password=password, name="Sdk")).user
    login = log_in.sync(client=public, body=LoginRequest(email=email, password=password))
    me = AuthenticatedClient(base_url=stack["http"], token=login.token, raise_on_unexpected_status=True)
    assert get_me.sync(client=me).user.id == user.id

    group = create_group.sync(client=me, body=CreateGroupRequest(name="Made by an SDK",
                                                                 type_=CreateGroupRequestType.OPEN)).group
    sent = send_message.sync(client=me, body=SendToGroupRequest(group_id=group.id, text="Hello from an SDK",
                                                                client_message_id="sdk-1")).message
    history = list_messages.sync(group.id, client=me)
    assert isinstance(history, History)
    assert [(m.id, m.text, m.seq) for m in history.messages] == [(sent.id, "Hello from an SDK", 1)]
    assert history.messages[0].sender == email and history.has_more is False

    refused = log_in.sync(client=public, body=LoginRequest(email=email, password="not the password"))
    assert isinstance(refused, UnauthorizedError)
    assert refused.error.code == UnauthorizedErrorErrorCode.INVALID_CREDENTIALS
