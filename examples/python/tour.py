#!/usr/bin/env python3
"""An Ordo client in Python, written from the .proto files alone (proto/src/main/proto/ordo/v1).

It creates a topic, produces keyed records through every node without naming partitions (each
node routes records to their partitions' leaders), finds the leaders, follows a NOT_LEADER error's
detail to the leader, fetches and subscribes, reads as a consumer group member committing offsets,
and consumes as a queue group consumer (nack, redelivery, ack); it checks every step and ends with
"tour: OK". CI runs it (AnyLanguageClientTest).

On Debian: apt-get install python3-grpcio protobuf-compiler protobuf-compiler-grpc, then
  protoc -I proto/src/main/proto --python_out=OUT --grpc_python_out=OUT \\
      --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin proto/src/main/proto/ordo/v1/*.proto
  PYTHONPATH=OUT python3 examples/python/tour.py 127.0.0.1:9101,127.0.0.1:9102,127.0.0.1:9103
Against a secured cluster, with TLS and as a user, set ORDO_TLS_CA, ORDO_USER and ORDO_PASSWORD_FILE
as for the CLI (the user needs ACLs for every topic and group: 'ordo acl add --operation all').
"""
import base64
import os
import sys
import time

import grpc
from google.protobuf import any_pb2

from ordo.v1 import admin_pb2, admin_pb2_grpc
from ordo.v1 import consumer_pb2, consumer_pb2_grpc
from ordo.v1 import errors_pb2
from ordo.v1 import groups_pb2, groups_pb2_grpc
from ordo.v1 import producer_pb2, producer_pb2_grpc
from ordo.v1 import queues_pb2, queues_pb2_grpc
from ordo.v1 import records_pb2

TOPIC = "polyglot"
PARTITIONS = 6
KEYS = 40
CALL_TIMEOUT_S = 20
DEADLINE_S = 90
# Errors after which nothing was written: the call may be sent again (elsewhere, after a pause).
RETRYABLE = {errors_pb2.NOT_LEADER, errors_pb2.LEADER_NOT_AVAILABLE, errors_pb2.OVERLOADED}


def fail(message):
    print("tour: FAILED: " + message, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def error_detail(error):
    """The ErrorDetail an Ordo error carries: a google.rpc.Status in the trailer
    grpc-status-details-bin, whose field 3 holds google.protobuf.Any details."""
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        for number, payload in length_delimited_fields(value):
            if number == 3:
                detail = any_pb2.Any.FromString(payload)
                if detail.Is(errors_pb2.ErrorDetail.DESCRIPTOR):
                    out = errors_pb2.ErrorDetail()
                    detail.Unpack(out)
                    return out
    return errors_pb2.ErrorDetail()


def length_delimited_fields(data):
    """(field number, bytes) of a protobuf message's length-delimited fields; others skipped."""
    i = 0
    while i < len(data):
        tag, i = varint(data, i)
        wire_type = tag & 7
        if wire_type == 0:
            _, i = varint(data, i)
        elif wire_type == 1:
            i += 8
        elif wire_type == 5:
            i += 4
        elif wire_type == 2:
            size, i = varint(data, i)
            yield tag >> 3, data[i:i + size]
            i += size
        else:
            raise ValueError("unexpected wire type %d" % wire_type)


def varint(data, i):
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def retrying(what, call, cluster=None):
    """call() until it answers, sleeping after the errors that wrote nothing, up to DEADLINE_S. With
    a cluster, a NOT_LEADER or LEADER_NOT_AVAILABLE makes it look the leaders up again first (call
    must then find its leader anew each time)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            return call()
        except grpc.RpcError as e:
            code = error_detail(e).code
            if code not in RETRYABLE or time.monotonic() > deadline:
                fail("%s: %s %s (%s)" % (what, e.code().name, errors_pb2.ErrorCode.Name(code), e.details()))
            time.sleep(0.2)
            if cluster is not None and code != errors_pb2.OVERLOADED:
                cluster.find_leaders()


def channel_credentials():
    """TLS trusting ORDO_TLS_CA, and user ORDO_USER's password (first line of ORDO_PASSWORD_FILE) on
    every call, as the CLI takes them; None without ORDO_TLS_CA: plaintext."""
    ca = os.environ.get("ORDO_TLS_CA")
    if not ca:
        return None
    with open(ca, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    user = os.environ.get("ORDO_USER")
    if user:
        with open(os.environ["ORDO_PASSWORD_FILE"], encoding="utf-8") as f:
            password = f.readline().rstrip("\r\n")
        basic = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        # gRPC sends call credentials only over a secure channel.
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.metadata_call_credentials(lambda context, callback: callback((("authorization", basic),), None)))
    return credentials


class Cluster:
    def __init__(self, addresses):
        self.addresses = addresses
        self.credentials = channel_credentials()
        self.channels = {a: self.open(a) for a in addresses}
        self.leaders = {}  # partition -> client address of its leader

    def admin(self, address=None):
        return admin_pb2_grpc.AdminServiceStub(self.channels[address or self.addresses[0]])

    def node_address(self, node_id):
        nodes = self.admin().DescribeCluster(admin_pb2.DescribeClusterRequest(), timeout=CALL_TIMEOUT_S).nodes
        return next(n.client_address for n in nodes if n.node_id == node_id)

    def find_leaders(self):
        """Waits until every partition has a leader (0: none) and remembers where each one is."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            topic = retrying("DescribeTopic", lambda: self.admin().DescribeTopic(
                admin_pb2.DescribeTopicRequest(name=TOPIC), timeout=CALL_TIMEOUT_S))
            if all(p.leader != 0 for p in topic.partitions):
                self.leaders = {p.partition: self.node_address(p.leader) for p in topic.partitions}
                return topic
            check(time.monotonic() < deadline, "partitions without a leader after %d s" % DEADLINE_S)
            time.sleep(0.2)

    def leader_channel(self, partition):
        return self.channel(self.leaders[partition])

    def consumer(self, partition):
        return consumer_pb2_grpc.ConsumerServiceStub(self.leader_channel(partition))

    def groups(self, partition):
        return groups_pb2_grpc.GroupServiceStub(self.leader_channel(partition))

    def queues(self, partition):
        return queues_pb2_grpc.QueueServiceStub(self.leader_channel(partition))

    def channel(self, address):
        if address not in self.channels:
            self.channels[address] = self.open(address)
        return self.channels[address]

    def open(self, address):
        if self.credentials is None:
            return grpc.insecure_channel(address)
        return grpc.secure_channel(address, self.credentials)


def fetch_all(cluster, partition, offset):
    """The partition's records from offset to its end, from its leader."""
    records = []
    while True:
        answer = retrying("Fetch", lambda: cluster.consumer(partition).Fetch(consumer_pb2.FetchRequest(
            topic=TOPIC, partition=partition, offset=offset, max_records=100), timeout=CALL_TIMEOUT_S), cluster)
        records.extend(answer.records)
        offset = answer.next_offset
        if offset >= answer.end_offset:
            return records, offset


def produce_through_every_node(cluster):
    """Keyed records without a partition, one request through each node; returns value -> key."""
    sent = {}
    for n, address in enumerate(cluster.addresses):
        records = [records_pb2.Record(key=b"user-%d" % k, value=b"node%d-record%d" % (n, k)) for k in range(KEYS)]
        producer = producer_pb2_grpc.ProducerServiceStub(cluster.channels[address])
        answer = retrying("Produce via " + address, lambda: producer.Produce(
            producer_pb2.ProduceRequest(topic=TOPIC, records=records), timeout=CALL_TIMEOUT_S))
        check(sum(a.record_count for a in answer.appends) == KEYS, "appends %s do not count %d records" % (answer.appends, KEYS))
        check(len(answer.appends) > 1, "%d keys all went to one partition" % KEYS)
        sent.update({r.value: r.key for r in records})
    print("tour: produced %d keyed records through %d nodes" % (len(sent), len(cluster.addresses)), flush=True)
    return sent


def read_back(cluster, sent):
    """Every record once, each key in exactly one partition, its records in the order sent."""
    seen, partition_of_key, values_of_key = {}, {}, {}
    for partition in range(PARTITIONS):
        records, _ = fetch_all(cluster, partition, 0)
        for r in records:
            check(r.value not in seen, "record %r read twice" % r.value)
            seen[r.value] = r.key
            check(partition_of_key.setdefault(r.key, partition) == partition, "key %r in two partitions" % r.key)
            values_of_key.setdefault(r.key, []).append(r.value)
    check(seen == sent, "read %d records, %d were produced" % (len(seen), len(sent)))
    for key, values in values_of_key.items():
        check(values == sorted(values), "key %r's records out of the order sent: %s" % (key, values))
    print("tour: fetched all %d from the leaders of %d partitions" % (len(seen), PARTITIONS), flush=True)


def follow_not_leader(cluster):
    """A follower refuses a fetch with NOT_LEADER and names the leader in the error's detail."""
    cluster.find_leaders()
    follower = next(a for a in cluster.addresses if a != cluster.leaders[0])
    try:
        consumer_pb2_grpc.ConsumerServiceStub(cluster.channels[follower]).Fetch(
            consumer_pb2.FetchRequest(topic=TOPIC, partition=0, offset=0), timeout=CALL_TIMEOUT_S)
        fail("a fetch from %s, not partition 0's leader, was answered" % follower)
    except grpc.RpcError as e:
        detail = error_detail(e)
        check(e.code() == grpc.StatusCode.UNAVAILABLE and detail.code == errors_pb2.NOT_LEADER,
              "a follower answered %s %s" % (e.code().name, detail))
        check(detail.leader_address == cluster.leaders[0],
              "NOT_LEADER named %r; the leader is at %r" % (detail.leader_address, cluster.leaders[0]))
    print("tour: a follower's NOT_LEADER named the leader", flush=True)


def subscribe(cluster, partition, expected):
    """A subscription from offset 0 streams the partition's records as they are (and will be) written."""
    stream = cluster.consumer(partition).Subscribe(
        consumer_pb2.SubscribeRequest(topic=TOPIC, partition=partition, offset=0), timeout=CALL_TIMEOUT_S)
    got = []
    for answer in stream:
        got.extend(answer.records)
        if len(got) >= expected:
            break
    stream.cancel()
    check([r.offset for r in got] == list(range(expected)), "subscription gave offsets %s" % [r.offset for r in got])
    print("tour: a subscription streamed partition %d's %d records" % (partition, expected), flush=True)


def read_as_group_member(cluster, total):
    """Joins a consumer group through any node, claims its partitions, reads and commits them."""
    groups = groups_pb2_grpc.GroupServiceStub(cluster.channels[cluster.addresses[-1]])
    joined = retrying("Heartbeat", lambda: groups.Heartbeat(
        groups_pb2.HeartbeatRequest(group="py-readers", topics=[TOPIC]), timeout=CALL_TIMEOUT_S))
    assigned = [p for tp in joined.assigned if tp.topic == TOPIC for p in tp.partitions]
    check(sorted(assigned) == list(range(PARTITIONS)), "the only member was assigned %s" % assigned)
    read = 0
    for partition in assigned:
        claim = retrying("ClaimPartition", lambda: cluster.groups(partition).ClaimPartition(groups_pb2.ClaimPartitionRequest(
            group="py-readers", topic=TOPIC, partition=partition, member_id=joined.member_id,
            generation=joined.generation), timeout=CALL_TIMEOUT_S), cluster)
        records, next_offset = fetch_all(cluster, partition, claim.committed_offset)
        read += len(records)
        retrying("CommitOffset", lambda: cluster.groups(partition).CommitOffset(groups_pb2.CommitOffsetRequest(
            group="py-readers", topic=TOPIC, partition=partition, member_id=joined.member_id,
            generation=joined.generation, offset=next_offset), timeout=CALL_TIMEOUT_S), cluster)
        committed = retrying("FetchOffset", lambda: cluster.groups(partition).FetchOffset(groups_pb2.FetchOffsetRequest(
            group="py-readers", topic=TOPIC, partition=partition), timeout=CALL_TIMEOUT_S), cluster)
        check(committed.committed_offset == next_offset, "committed %d, fetched back %d" % (next_offset, committed.committed_offset))
    groups.LeaveGroup(groups_pb2.LeaveGroupRequest(group="py-readers", member_id=joined.member_id), timeout=CALL_TIMEOUT_S)
    check(read == total, "the group member read %d of %d records" % (read, total))
    print("tour: a group member read and committed all %d records" % read, flush=True)


def consume_as_queue(cluster, total):
    """Leases every record to one queue consumer; nacks the first it gets and sees it come back."""
    retrying("CreateQueueGroup", lambda: queues_pb2_grpc.QueueServiceStub(cluster.channels[cluster.addresses[0]]).CreateQueueGroup(
        queues_pb2.CreateQueueGroupRequest(group="py-queue", topic=TOPIC, policy=queues_pb2.QueuePolicy(backoff_ms=[0])),
        timeout=CALL_TIMEOUT_S))
    acked, nacked = set(), None
    deadline = time.monotonic() + DEADLINE_S
    while len(acked) < total:
        check(time.monotonic() < deadline, "acked %d of %d records in %d s" % (len(acked), total, DEADLINE_S))
        for partition in range(PARTITIONS):
            leased = retrying("Receive", lambda: cluster.queues(partition).Receive(queues_pb2.ReceiveRequest(
                group="py-queue", topic=TOPIC, partition=partition, consumer="py-1", max_records=100),
                timeout=CALL_TIMEOUT_S), cluster).records
            settlements = []
            for lease in leased:
                offset = lease.record.offset
                if nacked is None:
                    nacked = (partition, offset)
                    action = queues_pb2.SETTLE_NACK
                else:
                    check((partition, offset) not in acked, "record %d/%d delivered after its ack" % (partition, offset))
                    check(lease.deliveries == (2 if (partition, offset) == nacked else 1),
                          "record %d/%d delivered %d times" % (partition, offset, lease.deliveries))
                    action = queues_pb2.SETTLE_ACK
                    acked.add((partition, offset))
                settlements.append(queues_pb2.RecordSettlement(offset=offset, deliveries=lease.deliveries, action=action))
            if settlements:
                outcomes = retrying("Settle", lambda: cluster.queues(partition).Settle(queues_pb2.SettleRequest(
                    group="py-queue", topic=TOPIC, partition=partition, consumer="py-1", settlements=settlements),
                    timeout=CALL_TIMEOUT_S), cluster).outcomes
                check(all(o == queues_pb2.SETTLED for o in outcomes), "settle outcomes %s" % outcomes)
    check(nacked in acked, "the nacked record %s was never redelivered" % (nacked,))
    print("tour: a queue consumer acked all %d records, one after a nack and redelivery" % total, flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tour.py HOST:PORT[,HOST:PORT...]")
    cluster = Cluster(sys.argv[1].split(","))
    retrying("CreateTopic", lambda: cluster.admin().CreateTopic(admin_pb2.CreateTopicRequest(
        name=TOPIC, partitions=PARTITIONS, replication_factor=min(3, len(cluster.addresses))), timeout=CALL_TIMEOUT_S))
    cluster.find_leaders()
    sent = produce_through_every_node(cluster)
    cluster.find_leaders()
    read_back(cluster, sent)
    follow_not_leader(cluster)
    partition = max(range(PARTITIONS), key=lambda p: len(fetch_all(cluster, p, 0)[0]))
    subscribe(cluster, partition, len(fetch_all(cluster, partition, 0)[0]))
    read_as_group_member(cluster, len(sent))
    consume_as_queue(cluster, len(sent))
    print("tour: OK", flush=True)


if __name__ == "__main__":
    main()
