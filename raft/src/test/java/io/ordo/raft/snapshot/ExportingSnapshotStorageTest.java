package io.ordo.raft.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.entity.RaftOutter.SnapshotMeta;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.RpcRequests.GetFileRequest;
import com.alipay.sofa.jraft.rpc.RpcRequests.GetFileResponse;
import com.alipay.sofa.jraft.storage.FileService;
import com.alipay.sofa.jraft.storage.snapshot.Snapshot;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotMetaTable;
import com.alipay.sofa.jraft.storage.snapshot.local.LocalSnapshotReader;
import com.alipay.sofa.jraft.util.Endpoint;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local snapshot holds jraft's meta alone; a follower copying it reads, through jraft's own file
 * service, the meta and a file the source exports when the copy begins.
 */
class ExportingSnapshotStorageTest {
  private static final String FILE = "state.snap";
  private static final long INDEX = 41;

  @TempDir Path dir;
  private final AtomicReference<CompletableFuture<Void>> export = new AtomicReference<>();
  private final AtomicReference<Path> exportedTo = new AtomicReference<>();
  private ExportingSnapshotStorage storage;

  private final SnapshotSource source = new SnapshotSource() {
    @Override
    public String snapshotFileName() {
      return FILE;
    }

    @Override
    public CompletableFuture<Void> exportTo(Path file) {
      exportedTo.set(file);
      export.set(new CompletableFuture<>());
      return export.get();
    }
  };

  @BeforeEach
  void takeALocalSnapshot() throws IOException {
    storage = new ExportingSnapshotStorage(
        dir.resolve("snapshot").toString(), null, new RaftOptions(), source, dir.resolve("export"));
    assertThat(storage.init(null)).isTrue();
    storage.setServerAddr(new Endpoint("127.0.0.1", 1));
    SnapshotWriter writer = storage.create();
    writer.saveMeta(SnapshotMeta.newBuilder().setLastIncludedIndex(INDEX).setLastIncludedTerm(3).build());
    writer.close();
  }

  @Test
  void aCopyGetsTheMetaAtOnceAndTheFileOnceExported() throws IOException {
    try (SnapshotReader reader = storage.open()) {
      assertThat(reader).as("jraft's copier casts what it opens").isInstanceOf(LocalSnapshotReader.class);
      assertThat(reader.load().getLastIncludedIndex()).isEqualTo(INDEX);
      assertThat(reader.listFiles()).as("files the local snapshot keeps").isEmpty();
      long readerId = readerId(reader.generateURIForCopy());
      assertThat(exportedTo.get()).as("export started with the copy").isNotNull();

      LocalSnapshotMetaTable remote = new LocalSnapshotMetaTable(new RaftOptions());
      GetFileResponse meta = (GetFileResponse) get(readerId, Snapshot.JRAFT_SNAPSHOT_META_FILE, 0, 1 << 20);
      assertThat(meta.getEof()).isTrue();
      assertThat(remote.loadFromIoBufferAsRemote(meta.getData().asReadOnlyByteBuffer())).isTrue();
      assertThat(remote.getMeta().getLastIncludedIndex()).isEqualTo(INDEX);
      assertThat(remote.listFiles()).containsExactly(FILE);

      Message early = get(readerId, FILE, 0, 1000);
      assertThat(early).isInstanceOf(ErrorResponse.class);
      assertThat(((ErrorResponse) early).getErrorCode()).as("jraft's copier retries EAGAIN without limit")
          .isEqualTo(RaftError.EAGAIN.getNumber());

      byte[] data = new byte[2500];
      new Random(7).nextBytes(data);
      Files.write(exportedTo.get(), data);
      export.get().complete(null);

      ByteArrayOutputStream copied = new ByteArrayOutputStream();
      GetFileResponse chunk;
      do {
        chunk = (GetFileResponse) get(readerId, FILE, copied.size(), 1000);
        chunk.getData().writeTo(copied);
      } while (!chunk.getEof());
      assertThat(copied.toByteArray()).isEqualTo(data);
    }
    assertThat(dir.resolve("export")).as("the export is deleted with the reader").isEmptyDirectory();
  }

  @Test
  void aFailedExportFailsTheCopyAndLeavesNothingBehind() throws IOException {
    long readerId;
    try (SnapshotReader reader = storage.open()) {
      readerId = readerId(reader.generateURIForCopy());
      export.get().completeExceptionally(new IOException("disk full"));
      Message failed = get(readerId, FILE, 0, 1000);
      assertThat(((ErrorResponse) failed).getErrorCode()).isEqualTo(RaftError.EIO.getNumber());
    }
    assertThat(get(readerId, FILE, 0, 1000)).as("reader unregistered on close")
        .extracting(response -> ((ErrorResponse) response).getErrorCode())
        .isEqualTo(RaftError.ENOENT.getNumber());
    assertThat(dir.resolve("export")).isEmptyDirectory();
  }

  @Test
  void exportsLeftByAStoppedNodeAreDeletedAtStart() throws IOException {
    Path leftover = Files.createDirectories(dir.resolve("export").resolve("index-7-123")).resolve(FILE);
    Files.write(leftover, new byte[10]);
    new ExportingSnapshotStorage(
        dir.resolve("snapshot").toString(), null, new RaftOptions(), source, dir.resolve("export"));
    assertThat(dir.resolve("export")).doesNotExist();
  }

  private static long readerId(String uri) {
    assertThat(uri).startsWith("remote://127.0.0.1:1/");
    return Long.parseLong(uri.substring(uri.lastIndexOf('/') + 1));
  }

  private static Message get(long readerId, String fileName, long offset, long count) {
    GetFileRequest request = GetFileRequest.newBuilder()
        .setReaderId(readerId).setFilename(fileName).setOffset(offset).setCount(count).build();
    return FileService.getInstance().handleGetFile(request, null);
  }
}
