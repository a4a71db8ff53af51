"""app.py's cold start on Lambda: the garbage collector stays off from the import until the
first invocation ends, then is back on with everything imported so far frozen; anywhere else
the app leaves the collector alone. Each case imports the app in a fresh interpreter."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ON_LAMBDA = """
import gc, os
import app
assert not gc.isenabled(), "the collector runs during the cold start"
os.environ.pop("AWS_LAMBDA_FUNCTION_NAME")  # the local stage's settings for the request below
from chalice.test import Client
with Client(app.app) as client:
    assert client.http.get("/health").status_code in (200, 503)
assert gc.isenabled(), "the first invocation did not turn the collector back on"
assert gc.get_freeze_count() > 0
print("ok")
"""

ELSEWHERE = """
import gc
import app
assert gc.isenabled()
print("ok")
"""


@pytest.mark.parametrize("code, lambda_name", [(ON_LAMBDA, "secure-messaging-test-api_handler"), (ELSEWHERE, None)],
                         ids=["on Lambda", "elsewhere"])
def test_the_cold_start_runs_without_the_collector_only_on_lambda(code, lambda_name):
    env = {name: value for name, value in os.environ.items() if name != "AWS_LAMBDA_FUNCTION_NAME"}
    if lambda_name:
        env["AWS_LAMBDA_FUNCTION_NAME"] = lambda_name
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert answer.returncode == 0 and answer.stdout.strip().endswith("ok"), answer.stderr[-2000:]
