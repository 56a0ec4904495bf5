#!/usr/bin/env bash
# Broker ceiling: run Kafka's own org.apache.kafka.tools.ProducerPerformance (kafka-producer-perf-test)
# against a broker and print its final summary line on stdout, e.g.
#   200000 records sent, 98522.2 records/sec (48.11 MB/sec), 210.35 ms avg latency, 402.00 ms max latency, ...
# Progress lines go to stderr.
#
# Usage: producer-perf.sh TOPIC NUM_RECORDS RECORD_SIZE [PRODUCER_PROP=VALUE ...]
# Env:   KAFKA_BOOTSTRAP_SERVERS  broker (default 127.0.0.1:${KAFKA_PORT:-9092})
#        KAFKA_PERF_PARTITIONS    partitions when the topic has to be created (default 3)
#        KAFKA_PERF_THROUGHPUT    records/s cap, -1 = unthrottled (default -1)
#        KAFKA_PERF_DELETE_TOPIC=1  delete the topic afterwards
# Producer defaults: acks=all linger.ms=5 batch.size=65536; extra PROP=VALUE args override them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/kafka"
if [[ $# -lt 3 ]]; then
  echo "usage: $0 TOPIC NUM_RECORDS RECORD_SIZE [PRODUCER_PROP=VALUE ...]" >&2
  exit 64
fi
TOPIC="$1" NUM="$2" SIZE="$3"
shift 3
BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:${KAFKA_PORT:-9092}}"
PARTITIONS="${KAFKA_PERF_PARTITIONS:-3}"
THROUGHPUT="${KAFKA_PERF_THROUGHPUT:--1}"

LIBS="$("$HERE/fetch-jars.sh")"
LOG4J="-Dlog4j2.configurationFile=$HERE/log4j2.properties"
TOOL=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$LOG4J" -Dkafka.root.loglevel=WARN -cp "$LIBS/*")

# auto.create.topics.enable=false on our broker: create the topic first.
"${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
  --topic "$TOPIC" --partitions "$PARTITIONS" --replication-factor 1 >&2

status=0
java -Xms256m -Xmx512m -XX:+UseG1GC "$LOG4J" -Dkafka.root.loglevel=WARN -cp "$LIBS/*" \
  org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOTSTRAP" --topic "$TOPIC" \
  --num-records "$NUM" --record-size "$SIZE" --throughput "$THROUGHPUT" \
  --command-property acks=all linger.ms=5 batch.size=65536 "$@" \
  | awk '/ 50th/ { print; fflush(); next } { print > "/dev/stderr"; fflush("/dev/stderr") }' || status=$?

if [[ "${KAFKA_PERF_DELETE_TOPIC:-0}" == 1 ]]; then
  "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --delete --topic "$TOPIC" >&2 || true
fi
exit "$status"
