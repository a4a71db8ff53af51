"""The SQS event source of the local stack: polls the queue (moto) and invokes the Chalice
SQS handler with Lambda's event shape and batch size, as Lambda's event source mapping does.

Like a mapping with ReportBatchItemFailures: records the handler names in
`batchItemFailures` stay on the queue (to come back after the visibility timeout, and to go
to the dead-letter queue after maxReceiveCount); the others are deleted. If the handler
crashes, the whole batch stays.
"""
import asyncio
import hashlib

import boto3


class SqsEventSource:
    def __init__(self, pool, handler_name, queue_url, queue_arn, batch_size, endpoint_url, region, pollers=2):
        self._pool = pool
        self._handler_name = handler_name
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._batch_size = batch_size
        self._region = region
        self._pollers = pollers
        self._sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._stopping = False
        self.invocations = 0
        self.failures = 0
        self.crashes_to_simulate = 0

    async def run(self):
        await asyncio.gather(*(self._poll() for _ in range(self._pollers)))

    def stop(self):
        self._stopping = True

    async def _poll(self):
        while not self._stopping:
            try:
                received = await asyncio.to_thread(
                    self._sqs.receive_message,
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=min(self._batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception as exc:  # noqa: BLE001 - keep polling, as Lambda's poller does
                print(f"sqs poll failed: {type(exc).__name__}", flush=True)
                await asyncio.sleep(1)
                continue
            messages = received.get("Messages", [])
            if messages:
                await self._deliver(messages)

    async def _deliver(self, messages):
        event = {"Records": [self._record(message) for message in messages]}
        self.invocations += 1
        try:
            result = await self._pool.invoke(self._handler_name, event)
        except Exception as exc:  # noqa: BLE001 - a crashed invocation leaves the batch on the queue
            self.failures += 1
            print(f"sqs handler crashed: {type(exc).__name__}: {exc}", flush=True)
            return
        if self.crashes_to_simulate > 0:
            # As if the function died after pushing but before answering: nothing is deleted.
            self.crashes_to_simulate -= 1
            self.failures += 1
            return
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(done)]
            await asyncio.to_thread(self._sqs.delete_message_batch, QueueUrl=self._queue_url, Entries=entries)

    def _record(self, message):
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }
