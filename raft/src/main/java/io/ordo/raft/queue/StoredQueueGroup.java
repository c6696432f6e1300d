package io.ordo.raft.queue;

import io.ordo.proto.raft.v1.QueueProgress;
import io.ordo.proto.raft.v1.QueueRecord;
import java.util.List;

/** A queue group of one partition as stored: its progress and its unfinished records, in offset order. */
public record StoredQueueGroup(QueueProgress progress, List<QueueRecord> records) {}
