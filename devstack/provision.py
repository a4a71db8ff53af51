"""Create, in moto, the AWS resources a deployed stage gets from infra/: the fan-out queue
with its dead-letter queue (and the KMS key). Idempotent: an existing resource is reused."""
import json
import os

import boto3

# Short locally, so that a failed job comes back (and a poison one reaches the DLQ) quickly.
LOCAL_VISIBILITY_TIMEOUT = int(os.environ.get("SQS_VISIBILITY_TIMEOUT", "5"))
LOCAL_MAX_RECEIVES = 3


def provision_queues(endpoint_url, region, queue_name):
    """Create the queue and its DLQ; return {"url", "arn", "dlq_url"}."""
    sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    dlq_url = sqs.create_queue(QueueName=f"{queue_name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(LOCAL_MAX_RECEIVES)}
    url = sqs.create_queue(
        QueueName=queue_name,
        Attributes={"VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"url": url, "arn": arn, "dlq_url": dlq_url}
