"""A foreign Kafka client speaking the original StreamForge wire contract.

Sends the original debug producer's `ping` on queue-control (JSON, keyed by queue_id) and reads
`queue-events` until the matching `pong` and some `loading` telemetry have arrived; prints every event it read for that queue as one
JSON line each on stdout, then a final `{"rtt_ms": ...}` line. Exit 1 if no pong arrives in time.

usage: aiokafka_ping.py BOOTSTRAP QUEUE_ID [TIMEOUT_S]
"""
import asyncio
import json
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def main(bootstrap: str, queue_id: str, timeout_s: float) -> int:
    consumer = AIOKafkaConsumer(
        "queue-events",
        bootstrap_servers=bootstrap,
        group_id=f"aiokafka-interop-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        sent_at = time.time()
        ping = {"command": "ping", "queue_id": queue_id, "sent_at": sent_at}
        await producer.send_and_wait("queue-control", json.dumps(ping).encode(), key=queue_id.encode())
        deadline = time.monotonic() + timeout_s
        statuses = set()
        rtt_ms = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event.get("queue_id") != queue_id:
                        continue
                    assert record.key.decode() == queue_id, "events are keyed by queue_id"
                    print(json.dumps(event), flush=True)
                    statuses.add(event.get("status"))
                    if event.get("status") == "pong" and event.get("ping_ts") == sent_at:
                        rtt_ms = (time.time() - sent_at) * 1000
            # Done once our pong and some loading telemetry have both been read.
            if rtt_ms is not None and "loading" in statuses:
                print(json.dumps({"rtt_ms": rtt_ms}), flush=True)
                return 0
        print(json.dumps({"error": f"no pong within {timeout_s} s"}), flush=True)
        return 1
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 30.0)))
