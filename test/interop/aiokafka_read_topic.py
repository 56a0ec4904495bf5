"""A foreign Kafka client reading a replayed topic.

Reads TOPIC from the earliest offset until COUNT records have arrived (a message with an `sf-count`
header holds that many, any other one) or TIMEOUT_S passed, and
prints each as one JSON line: {"partition", "offset", "key", "value", "headers"} (value and key as
the text sent, headers as a name -> text map). Exit 1 when fewer than COUNT arrived.

usage: aiokafka_read_topic.py BOOTSTRAP TOPIC COUNT [TIMEOUT_S]
"""
import asyncio
import json
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer


async def main(bootstrap: str, topic: str, count: int, timeout_s: float) -> int:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"aiokafka-replay-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    read = 0
    try:
        deadline = time.monotonic() + timeout_s
        while read < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    line = {
                        "partition": r.partition,
                        "offset": r.offset,
                        "key": None if r.key is None else r.key.decode(),
                        "value": r.value.decode(),
                        "headers": {name: value.decode() for name, value in (r.headers or ())},
                    }
                    sys.stdout.write(json.dumps(line) + "\n")
                    read += int(line["headers"].get("sf-count", "1"))
    finally:
        await consumer.stop()
    return 0 if read >= count else 1


if __name__ == "__main__":
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), timeout)))
