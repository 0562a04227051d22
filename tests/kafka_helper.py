"""An independent Kafka client for the tests (PyPI confluent-kafka, librdkafka 2.16).

    kafka_helper.py BOOTSTRAP create TOPIC PARTITIONS
    kafka_helper.py BOOTSTRAP produce            < JSON lines {"topic","partition","key","value"|"value_hex","headers":[[k,v],...]}
    kafka_helper.py BOOTSTRAP committed GROUP    -> JSON {"groups": [...], "committed": {"topic/partition": offset}}

KAFKA_HELPER_CONF, when set, is a JSON object of further librdkafka properties (e.g. TLS:
{"security.protocol": "SSL", "ssl.ca.location": "ca.pem"}).
"""
import json
import os
import sys

from confluent_kafka import Producer, TopicPartition, ConsumerGroupTopicPartitions
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    bootstrap, cmd = sys.argv[1], sys.argv[2]
    conf = {"bootstrap.servers": bootstrap}
    conf.update(json.loads(os.environ.get("KAFKA_HELPER_CONF", "{}")))
    if cmd == "create":
        admin = AdminClient(conf)
        topic, parts = sys.argv[3], int(sys.argv[4])
        for _, f in admin.create_topics([NewTopic(topic, num_partitions=parts, replication_factor=1)]).items():
            f.result(15)
    elif cmd == "produce":
        p = Producer(conf)
        for line in sys.stdin:
            m = json.loads(line)
            value = bytes.fromhex(m["value_hex"]) if "value_hex" in m else m.get("value", "").encode()
            kwargs = {"value": value, "headers": [(k, v) for k, v in m.get("headers", [])]}
            if "key" in m:
                kwargs["key"] = m["key"]
            if "partition" in m:
                kwargs["partition"] = m["partition"]
            p.produce(m["topic"], **kwargs)
        left = p.flush(15)
        if left:
            sys.exit(f"{left} messages not delivered")
    elif cmd == "committed":
        admin = AdminClient(conf)
        group = sys.argv[3]
        groups = [g.group_id for g in admin.list_consumer_groups().result(15).valid]
        committed = {}
        if group in groups:
            res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
            for _, f in res.items():
                for tp in f.result(15).topic_partitions:
                    if tp.offset >= 0:
                        committed[f"{tp.topic}/{tp.partition}"] = tp.offset
        print(json.dumps({"groups": groups, "committed": committed}))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
