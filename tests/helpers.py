"""Small helpers for route tests that speak JSON through chalice.test.Client."""
import json


def call(client, method, path, body=None, token=None, headers=None, raw=None):
    """Send one request; return (status, parsed JSON body or None, headers)."""
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent_headers["Authorization"] = f"Bearer {token}"
    payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
    response = client.http.request(method, path, headers=sent_headers, body=payload)
    parsed = json.loads(response.body) if response.body else None
    return response.status_code, parsed, response.headers


def sign_up(client, email, password="correct horse battery", name="Test User"):
    status, body, _ = call(client, "POST", "/register", {"email": email, "password": password, "name": name})
    assert status == 201, body
    return body["user"]


def log_in(client, email, password="correct horse battery"):
    status, body, _ = call(client, "POST", "/login", {"email": email, "password": password})
    assert status == 200, body
    return body["token"]


def new_user(client, email, name="Test User"):
    """Register and log in; return (user, token)."""
    user = sign_up(client, email, name=name)
    return user, log_in(client, email)


def drain_fanout_jobs():
    """Every job waiting on the test fan-out queue (moto), removed from it."""
    import os

    import boto3

    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"])
    queue_url = os.environ["FANOUT_QUEUE_URL"]
    jobs = []
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = received.get("Messages", [])
        if not messages:
            return jobs
        for message in messages:
            jobs.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
