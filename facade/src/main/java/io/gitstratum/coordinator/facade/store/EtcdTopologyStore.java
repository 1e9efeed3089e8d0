package io.gitstratum.coordinator.facade.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.compat.SchemaCompatibility;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The topology in etcd: the only class that speaks jetcd's KV and Watch APIs for it. Every call
 * has the configured deadline and fails with {@code UnavailableException}. Thread-safe.
 */
public final class EtcdTopologyStore {
  private final KV kv;
  private final Watch watch;
  private final Keyspace keys;
  private final Duration timeout;

  public EtcdTopologyStore(Client client, Keyspace keys, Duration timeout) {
    this.kv = client.getKVClient();
    this.watch = client.getWatchClient();
    this.keys = keys;
    this.timeout = timeout;
  }

  public Keyspace keys() {
    return keys;
  }

  /**
   * Writes the schema marker and the ring configuration on an empty prefix, or checks the marker
   * that is there; one transaction, so two facades starting together agree.
   *
   * @throws io.gitstratum.coordinator.schema.compat.IncompatibleSchemaException for a newer schema
   */
  public void bootstrap(String replicaId, HashRingConfig defaultRing, long nowMs) {
    ByteSequence schemaKey = bytes(keys.schema());
    SchemaRecord marker = SchemaRecord.newBuilder()
        .setSchemaVersion(SchemaCompatibility.CURRENT_VERSION)
        .setWrittenBy(replicaId)
        .setWrittenAt(nowMs)
        .build();
    TxnResponse response = Deadlines.await(kv.txn()
        .If(new Cmp(schemaKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(schemaKey, bytes(RecordCodec.encode(marker)), PutOption.DEFAULT))
        .Else(Op.get(schemaKey, GetOption.DEFAULT))
        .commit(), timeout, "schema check");
    Optional<SchemaRecord> found = response.isSucceeded() ? Optional.empty()
        : response.getGetResponses().get(0).getKvs().stream().findFirst()
            .map(kvp -> RecordCodec.decodeSchema(keys.schema(), kvp.getValue().getBytes()));
    SchemaCompatibility.check(keys.prefix(), found);

    ByteSequence ringKey = bytes(keys.ringConfig());
    Deadlines.await(kv.txn()
        .If(new Cmp(ringKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(ringKey, bytes(RecordCodec.encode(defaultRing)), PutOption.DEFAULT))
        .commit(), timeout, "ring config bootstrap");
  }

  /** Reads version, ring configuration and every node at one revision. */
  public StoreSnapshot read() {
    TxnResponse response = Deadlines.await(kv.txn()
        .Then(Op.get(bytes(keys.version()), GetOption.DEFAULT),
            Op.get(bytes(keys.ringConfig()), GetOption.DEFAULT),
            Op.get(bytes(keys.nodesPrefix()), GetOption.builder().isPrefix(true).build()))
        .commit(), timeout, "topology read");
    List<GetResponse> gets = response.getGetResponses();
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
    List<NodeInfo> nodes = new ArrayList<>(gets.get(2).getKvs().size());
    for (KeyValue kvp : gets.get(2).getKvs()) {
      nodes.add(RecordCodec.decodeNode(kvp.getKey().toString(StandardCharsets.UTF_8),
          kvp.getValue().getBytes()));
    }
    return new StoreSnapshot(Topology.of(version, nodes, ring), response.getHeader().getRevision(),
        versionModRevision, response.getHeader().getRaftTerm());
  }

  /**
   * The version key's mod revision as etcd holds it now (a linearizable read): a cache that has
   * seen this revision has every committed topology change.
   */
  public long currentVersionRevision() {
    GetResponse response = Deadlines.await(
        kv.get(bytes(keys.version()), GetOption.DEFAULT), timeout, "version read");
    return response.getKvs().isEmpty() ? 0 : response.getKvs().get(0).getModRevision();
  }

  /** etcd's current topology version (a linearizable read); 0 before the first change. */
  public long currentVersion() {
    GetResponse response = Deadlines.await(
        kv.get(bytes(keys.version()), GetOption.DEFAULT), timeout, "version read");
    return response.getKvs().isEmpty() ? 0
        : RecordCodec.decodeVersion(keys.version(), response.getKvs().get(0).getValue().getBytes());
  }

  /**
   * The change events after {@code afterVersion} up to {@code upToVersion} from the event log,
   * or empty when the log no longer holds all of them (trimmed) or they are more than
   * {@code limit}.
   */
  public Optional<List<TopologyUpdate>> readEvents(long afterVersion, long upToVersion, int limit) {
    if (upToVersion <= afterVersion) {
      return Optional.of(List.of());
    }
    if (upToVersion - afterVersion > limit) {
      return Optional.empty();
    }
    GetResponse response = Deadlines.await(kv.get(bytes(keys.event(afterVersion + 1)),
        GetOption.builder().withRange(bytes(keys.event(upToVersion + 1))).build()),
        timeout, "event log read");
    List<TopologyUpdate> events = new ArrayList<>(response.getKvs().size());
    long expected = afterVersion + 1;
    for (KeyValue kvp : response.getKvs()) {
      TopologyUpdate update = RecordCodec.decodeUpdate(
          kvp.getKey().toString(StandardCharsets.UTF_8), kvp.getValue().getBytes());
      if (update.getVersion() != expected) {
        return Optional.empty();
      }
      events.add(update);
      expected++;
    }
    return expected == upToVersion + 1 ? Optional.of(events) : Optional.empty();
  }

  /**
   * Commits change events as one transaction: if the version key still has
   * {@code expectedVersionModRevision}, write each event, the node records it changes and the new
   * version. Events must be consecutive and non-empty.
   */
  public CommitResult commit(long expectedVersionModRevision, List<TopologyUpdate> updates) {
    if (updates.isEmpty()) {
      throw new IllegalArgumentException("nothing to commit");
    }
    List<Op> ops = new ArrayList<>(updates.size() * 2 + 1);
    for (TopologyUpdate update : updates) {
      switch (update.getUpdateCase()) {
        case NODE_ADDED -> ops.add(putNode(update.getNodeAdded()));
        case NODE_UPDATED -> ops.add(putNode(update.getNodeUpdated()));
        case NODE_REMOVED -> ops.add(
            Op.delete(bytes(keys.node(update.getNodeRemoved())), DeleteOption.DEFAULT));
        case HASH_RING_CONFIG_UPDATED -> ops.add(Op.put(bytes(keys.ringConfig()),
            bytes(RecordCodec.encode(update.getHashRingConfigUpdated())), PutOption.DEFAULT));
        default -> throw new IllegalArgumentException("not a change: " + update.getUpdateCase());
      }
      ops.add(Op.put(bytes(keys.event(update.getVersion())), bytes(RecordCodec.encode(update)),
          PutOption.DEFAULT));
    }
    long last = updates.get(updates.size() - 1).getVersion();
    ops.add(Op.put(bytes(keys.version()), bytes(RecordCodec.encodeVersion(last)),
        PutOption.DEFAULT));
    ByteSequence versionKey = bytes(keys.version());
    TxnResponse response = Deadlines.await(kv.txn()
        .If(new Cmp(versionKey, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersionModRevision)))
        .Then(ops.toArray(Op[]::new))
        .commit(), timeout, "topology commit");
    return new CommitResult(response.isSucceeded(), response.getHeader().getRevision());
  }

  /**
   * Watches the whole prefix from {@code fromRevision}, delivering each etcd revision's changes
   * together, in revision order. {@code onError} receives compaction and connection failures;
   * after it the watch is dead and the caller starts a new one.
   */
  public Watch.Watcher watch(long fromRevision, Consumer<List<KvChange>> onRevision,
      Consumer<Throwable> onError) {
    WatchOption option = WatchOption.builder()
        .isPrefix(true)
        .withRevision(fromRevision)
        .build();
    return watch.watch(bytes(keys.prefix()), option, Watch.listener(
        response -> deliverByRevision(response.getEvents(), onRevision),
        onError,
        () -> onError.accept(new IllegalStateException("etcd watch completed"))));
  }

  private static void deliverByRevision(List<WatchEvent> events, Consumer<List<KvChange>> sink) {
    List<KvChange> batch = new ArrayList<>();
    long revision = -1;
    for (WatchEvent event : events) {
      KeyValue kvp = event.getKeyValue();
      if (revision != -1 && kvp.getModRevision() != revision) {
        sink.accept(batch);
        batch = new ArrayList<>();
      }
      revision = kvp.getModRevision();
      boolean deleted = event.getEventType() == WatchEvent.EventType.DELETE;
      batch.add(new KvChange(kvp.getKey().toString(StandardCharsets.UTF_8),
          kvp.getValue().getBytes(), deleted, revision, deleted ? 0 : kvp.getLease()));
    }
    if (!batch.isEmpty()) {
      sink.accept(batch);
    }
  }

  private Op putNode(NodeInfo node) {
    return Op.put(bytes(keys.node(node.getId())), bytes(RecordCodec.encode(node)),
        PutOption.DEFAULT);
  }

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, StandardCharsets.UTF_8);
  }

  private static ByteSequence bytes(byte[] value) {
    return ByteSequence.from(value);
  }
}
