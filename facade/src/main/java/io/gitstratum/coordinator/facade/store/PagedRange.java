package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Reads a key range whose size grows with the cluster in pages of about {@code pageBytes}, all at
 * one revision: no etcd response is much larger than a page, whatever the cluster's size, and a
 * write landing between two pages is neither lost nor seen twice. etcd limits a range by count,
 * not bytes, so each page asks for as many keys as the previous pages' average size fits.
 * Thread-safe (stateless between calls).
 */
final class PagedRange {
  /**
   * A node record is at most about 22 KB (64 labels of 256-byte values): the first page of a
   * read asks for as many keys as fit in a page at this size; later pages follow the keys'
   * measured size.
   */
  private static final long LARGEST_RECORD_BYTES = 32 << 10;
  private static final int MAX_PAGE_KEYS = 50_000;
  private static final int PAGE_ATTEMPTS = 3;

  private final KV kv;
  private final long pageBytes;
  private final long firstPageKeys;
  private final BiFunction<CompletableFuture<GetResponse>, String, GetResponse> await;

  /** @param await waits for one etcd call within the store's deadline, naming the operation */
  PagedRange(KV kv, long pageBytes,
      BiFunction<CompletableFuture<GetResponse>, String, GetResponse> await) {
    this.kv = kv;
    this.pageBytes = pageBytes;
    this.firstPageKeys = Math.max(1, Math.min(512, pageBytes / LARGEST_RECORD_BYTES));
    this.await = await;
  }

  /** The first page under {@code prefix}, to read in a transaction with other keys. */
  Op first(String prefix, boolean keysOnly) {
    ByteSequence start = bytes(prefix);
    return Op.get(start, GetOption.builder().withRange(OptionsUtil.prefixEndOf(start))
        .withLimit(firstPageKeys).withKeysOnly(keysOnly).build());
  }

  /** The keys of {@code first}, a first page under {@code prefix}, and every page after it. */
  void scanFrom(GetResponse first, String prefix, long revision, boolean keysOnly,
      Consumer<KeyValue> sink) {
    first.getKvs().forEach(sink);
    if (first.isMore() && !first.getKvs().isEmpty()) {
      scan(keyAfter(first.getKvs()), OptionsUtil.prefixEndOf(bytes(prefix)), revision, keysOnly,
          sink, nextLimit(first.getKvs().size(), pageSize(first.getKvs())));
    }
  }

  /** The keys in [{@code from}, {@code end}) at {@code revision} (0: the first page's). */
  void scan(ByteSequence from, ByteSequence end, long revision, boolean keysOnly,
      Consumer<KeyValue> sink) {
    scan(from, end, revision, keysOnly, sink, firstPageKeys);
  }

  private void scan(ByteSequence from, ByteSequence end, long revision, boolean keysOnly,
      Consumer<KeyValue> sink, long firstLimit) {
    long at = revision;
    long limit = firstLimit;
    long keysSeen = 0;
    long bytesSeen = 0;
    ByteSequence next = from;
    while (true) {
      GetOption.Builder option = GetOption.builder().withRange(end).withLimit(limit)
          .withKeysOnly(keysOnly);
      if (at > 0) {
        option.withRevision(at);
      }
      GetOption pageOption = option.build();
      ByteSequence pageStart = next;
      GetResponse page = readAgainIfUnanswered(
          () -> await.apply(kv.get(pageStart, pageOption), "paged read"));
      if (at == 0) {
        at = page.getHeader().getRevision();
      }
      List<KeyValue> kvs = page.getKvs();
      kvs.forEach(sink);
      keysSeen += kvs.size();
      bytesSeen += pageSize(kvs);
      if (!page.isMore() || kvs.isEmpty()) {
        return;
      }
      next = keyAfter(kvs);
      limit = nextLimit(keysSeen, bytesSeen);
    }
  }

  /**
   * A read that goes unanswered is asked again, at most {@link #PAGE_ATTEMPTS} times: a read is
   * the same wherever it runs, and jetcd sends it over another connection, away from a member
   * gone silent.
   */
  static <T> T readAgainIfUnanswered(Supplier<T> read) {
    for (int attempt = 1; ; attempt++) {
      try {
        return read.get();
      } catch (UnavailableException e) {
        if (attempt >= PAGE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private long nextLimit(long keysSeen, long bytesSeen) {
    return Math.max(1, Math.min(MAX_PAGE_KEYS, pageBytes * keysSeen / Math.max(1, bytesSeen)));
  }

  private static long pageSize(List<KeyValue> kvs) {
    long bytes = 0;
    for (KeyValue kvp : kvs) {
      bytes += kvp.getKey().size() + kvp.getValue().size() + 64;
    }
    return bytes;
  }

  /** The smallest key after the last of {@code kvs}: that key and a zero byte. */
  private static ByteSequence keyAfter(List<KeyValue> kvs) {
    byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
    return ByteSequence.from(Arrays.copyOf(last, last.length + 1));
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }
}
