package io.gitstratum.coordinator.facade.store;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.errors.Completions;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.DetectorPauseRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;

/**
 * The read of the whole topology at one revision that {@link EtcdTopologyStore#read} answers
 * with (start-up load, resync): version, ring configuration, every node and the liveness keys,
 * first in one transaction, then the further pages of a large collection at its revision
 * ({@link PagedRange}), with node records decoded on every core while the next pages arrive.
 * Owns the {@code store-decode} threads, shared by every store of the process. Thread-safe
 * (stateless between calls); one per store, made by it.
 */
final class SnapshotRead {
  /** Node records decoded per task of a large read. */
  private static final int DECODE_CHUNK = 1_000;

  /** Decode node records for every store of this process: pure CPU work, one thread a core. */
  private static final ExecutorService DECODERS = Executors.newFixedThreadPool(
      Runtime.getRuntime().availableProcessors(),
      new ThreadFactoryBuilder().setNameFormat("store-decode-%d").setDaemon(true).build());

  private final KV kv;
  private final Keyspace keys;
  private final PagedRange pages;
  private final BiFunction<CompletableFuture<TxnResponse>, String, TxnResponse> await;

  /** @param await waits for one etcd call within the store's deadline, naming the operation */
  SnapshotRead(KV kv, Keyspace keys, PagedRange pages,
      BiFunction<CompletableFuture<TxnResponse>, String, TxnResponse> await) {
    this.kv = kv;
    this.keys = keys;
    this.pages = pages;
    this.await = await;
  }

  /** See {@link EtcdTopologyStore#read}. */
  StoreSnapshot read() {
    TxnResponse head = PagedRange.readAgainIfUnanswered(() -> await.apply(kv.txn()
        .Then(Op.get(bytes(keys.version()), GetOption.DEFAULT),
            Op.get(bytes(keys.ringConfig()), GetOption.DEFAULT),
            pages.first(keys.nodesPrefix(), false),
            pages.first(keys.alivePrefix(), true),
            pages.first(keys.gracePrefix(), true),
            Op.get(bytes(keys.detectorPause()), GetOption.DEFAULT),
            pages.first(keys.drainedPrefix(), true))
        .commit(), "topology read"));
    long revision = head.getHeader().getRevision();
    List<GetResponse> gets = head.getGetResponses();
    long version = 0;
    long versionModRevision = 0;
    Optional<KeyValue> versionKv = gets.get(0).getKvs().stream().findFirst();
    if (versionKv.isPresent()) {
      version = RecordCodec.decodeVersion(keys.version(), versionKv.get().getValue().getBytes());
      versionModRevision = versionKv.get().getModRevision();
    }
    HashRingConfig ring = gets.get(1).getKvs().stream().findFirst()
        .map(kvp -> RecordCodec.decodeRingConfig(keys.ringConfig(), kvp.getValue().getBytes()))
        .orElse(HashRingConfig.getDefaultInstance());
    // Decoding the JSON records, not etcd, bounds a large read: chunks are decoded on every
    // core while the next pages are fetched.
    List<CompletableFuture<List<NodeInfo>>> decoded = new ArrayList<>();
    List<KeyValue> chunk = new ArrayList<>(DECODE_CHUNK);
    pages.scanFrom(gets.get(2), keys.nodesPrefix(), revision, false, kvp -> {
      chunk.add(kvp);
      if (chunk.size() == DECODE_CHUNK) {
        decoded.add(decodeNodes(List.copyOf(chunk)));
        chunk.clear();
      }
    });
    decoded.add(decodeNodes(List.copyOf(chunk)));
    Optional<DetectorPauseRecord> pause = gets.get(5).getKvs().stream().findFirst()
        .map(kvp -> RecordCodec.decodeDetectorPause(keys.detectorPause(),
            kvp.getValue().getBytes()));
    Map<String, Long> alive = new HashMap<>();
    pages.scanFrom(gets.get(3), keys.alivePrefix(), revision, true, kvp -> alive.put(kvp.getKey()
        .toString(StandardCharsets.UTF_8).substring(keys.alivePrefix().length()), kvp.getLease()));
    Map<String, Long> grace = new HashMap<>();
    pages.scanFrom(gets.get(4), keys.gracePrefix(), revision, true, kvp -> grace.put(kvp.getKey()
        .toString(StandardCharsets.UTF_8).substring(keys.gracePrefix().length()), kvp.getLease()));
    Set<String> drained = new HashSet<>();
    pages.scanFrom(gets.get(6), keys.drainedPrefix(), revision, true, kvp -> drained.add(kvp
        .getKey().toString(StandardCharsets.UTF_8).substring(keys.drainedPrefix().length())));
    List<NodeInfo> nodes = new ArrayList<>();
    decoded.forEach(part -> nodes.addAll(Completions.join(part)));
    return new StoreSnapshot(Topology.of(version, nodes, ring), alive, grace, drained, revision,
        versionModRevision, head.getHeader().getRaftTerm(), pause);
  }

  private static CompletableFuture<List<NodeInfo>> decodeNodes(List<KeyValue> records) {
    return CompletableFuture.supplyAsync(() -> {
      List<NodeInfo> nodes = new ArrayList<>(records.size());
      for (KeyValue kvp : records) {
        nodes.add(RecordCodec.decodeNode(kvp.getKey().toString(StandardCharsets.UTF_8),
            kvp.getValue().getBytes()));
      }
      return nodes;
    }, DECODERS);
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }
}
