package io.ordo.client;

import java.util.List;

/**
 * The answer to one {@link Consumer#fetch}.
 *
 * @param records the records read, in offset order; empty if none arrived within the wait
 * @param nextOffset the offset to pass to the next fetch to continue after these records
 * @param startOffset the partition's first readable offset when the answer was built
 * @param endOffset the offset of the partition's next record when the answer was built
 */
public record FetchResult(
    List<ConsumerRecord> records, long nextOffset, long startOffset, long endOffset) {}
