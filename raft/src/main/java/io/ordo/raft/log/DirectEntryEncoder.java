package io.ordo.raft.log;

import com.alipay.sofa.jraft.entity.LogEntry;
import com.alipay.sofa.jraft.entity.codec.v2.LogEntryV2CodecFactory;
import com.alipay.sofa.jraft.entity.codec.v2.LogOutter.PBLogEntry;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.ordo.raft.rocksdb.DirectPut;
import java.nio.ByteBuffer;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Writes a Raft entry into a write batch in jraft's V2 log format, byte for byte what its
 * V2Encoder writes, through {@link DirectPut} rather than an array per entry. Entries with peers
 * (configuration changes: rare) are left to jraft's encoder.
 */
final class DirectEntryEncoder {
  /** The V2 format's header: magic bytes, version, reserved bytes. */
  private static final byte[] HEADER = header();

  private DirectEntryEncoder() {}

  /**
   * Puts {@code entry} under {@code key} into {@code batch}; false, putting nothing, when it is an
   * entry to leave to jraft's encoder.
   */
  static boolean put(WriteBatch batch, ColumnFamilyHandle family, byte[] key, LogEntry entry) throws RocksDBException {
    if (hasAny(entry.getPeers()) || hasAny(entry.getOldPeers()) || hasAny(entry.getLearners()) || hasAny(entry.getOldLearners())) {
      return false;
    }
    PBLogEntry.Builder message = PBLogEntry.newBuilder()
        .setType(entry.getType())
        .setIndex(entry.getId().getIndex())
        .setTerm(entry.getId().getTerm());
    if (entry.hasChecksum()) {
      message.setChecksum(entry.getChecksum());
    }
    // jraft shares the entry's buffer with replication; wrapping it only reads its position and
    // limit, as jraft's own encoder and replicator do, and moves neither (GroupLogStorageTest).
    ByteBuffer data = entry.getData();
    message.setData(data == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(data));
    DirectPut.put(batch, family, key, HEADER, message.build());
    return true;
  }

  private static boolean hasAny(List<?> peers) {
    return peers != null && !peers.isEmpty();
  }

  private static byte[] header() {
    byte[] header = new byte[LogEntryV2CodecFactory.HEADER_SIZE];
    ByteBuffer.wrap(header)
        .put(LogEntryV2CodecFactory.MAGIC_BYTES)
        .put(LogEntryV2CodecFactory.VERSION)
        .put(LogEntryV2CodecFactory.RESERVED);
    return header;
  }
}
