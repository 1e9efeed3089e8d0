package io.gitstratum.coordinator.facade.store;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The topology keys a batch of changes writes (each change's node record or ring config, its
 * event and its history record), encoded once: the writer sizes a command by them before it
 * joins a batch ({@link TxnSize}), and the commit and its check send the same bytes. A batch that
 * writes one key twice (a node added, then updated) keeps the last value, as etcd would have
 * sequentially. Not thread-safe: built by one writer thread, then only read.
 */
public final class TopologyWrites {
  private final Keyspace keys;
  private final String commitId = randomId();
  private final List<TopologyUpdate> updates = new ArrayList<>();
  private final Map<String, byte[]> values = new LinkedHashMap<>(); // null: delete
  private TxnSize size = TxnSize.ZERO;

  public TopologyWrites(Keyspace keys) {
    this.keys = keys;
  }

  /**
   * {@code updates} encoded, each with its history record when {@code history} is not empty.
   *
   * @throws IllegalArgumentException for a history of another length, or an update that is not
   *     a change
   */
  public static TopologyWrites of(Keyspace keys, List<TopologyUpdate> updates,
      List<ChangeRecord> history) {
    if (!history.isEmpty() && history.size() != updates.size()) {
      throw new IllegalArgumentException(history.size() + " history records for "
          + updates.size() + " updates");
    }
    TopologyWrites writes = new TopologyWrites(keys);
    for (int i = 0; i < updates.size(); i++) {
      writes.add(updates.get(i), history.isEmpty() ? null : history.get(i));
    }
    return writes;
  }

  /**
   * Adds one change and, unless null, why it happened.
   *
   * @throws IllegalArgumentException for an update that is not a change
   */
  public void add(TopologyUpdate update, ChangeRecord why) {
    byte[] event = switch (update.getUpdateCase()) {
      case NODE_ADDED -> RecordCodec.encodeNodeEvent(update, putNode(update.getNodeAdded()));
      case NODE_UPDATED -> RecordCodec.encodeNodeEvent(update, putNode(update.getNodeUpdated()));
      case NODE_REMOVED -> {
        put(keys.node(update.getNodeRemoved()), null);
        yield RecordCodec.encode(update);
      }
      case HASH_RING_CONFIG_UPDATED -> {
        put(keys.ringConfig(), RecordCodec.encode(update.getHashRingConfigUpdated()));
        yield RecordCodec.encode(update);
      }
      default -> throw new IllegalArgumentException("not a change: " + update.getUpdateCase());
    };
    put(keys.event(update.getVersion()), event);
    if (why != null) {
      put(keys.history(update.getVersion()), RecordCodec.encode(why));
    }
    updates.add(update);
  }

  /** Everything {@code other} writes, after what this writes. */
  public void addAll(TopologyWrites other) {
    other.values.forEach(this::put);
    updates.addAll(other.updates);
  }

  public List<TopologyUpdate> updates() {
    return Collections.unmodifiableList(updates);
  }

  public boolean isEmpty() {
    return updates.isEmpty();
  }

  /**
   * The etcd operations and request bytes these writes take, without the new version's put
   * ({@link #versionPut}: once per transaction); a key written twice is counted twice, so a
   * batch's sum is an upper bound.
   */
  public TxnSize size() {
    return size;
  }

  /**
   * The version key's put and the commit mark's, which a transaction with changes adds once.
   */
  public static TxnSize versionPut(Keyspace keys) {
    return TxnSize.put(keys.version(), RecordCodec.encodeVersion(Long.MAX_VALUE).length)
        .plus(TxnSize.put(keys.commitMark(), randomId().length()));
  }

  /**
   * This batch's own id, written to {@code P/topology/commit} with its changes: the one thing
   * that tells its commit from another replica's identical change at the same version (a
   * deregistration, a SUSPECT, a DOWN carry nothing unique). Copies sent again carry the same.
   */
  String commitId() {
    return commitId;
  }

  /** The encoded values by key, in write order; a null value is a delete. */
  Map<String, byte[]> values() {
    return Collections.unmodifiableMap(values);
  }

  /** Each change's event as written: its key, its encoding and the change it encodes. */
  public List<WrittenEvent> events() {
    List<WrittenEvent> events = new ArrayList<>(updates.size());
    for (TopologyUpdate update : updates) {
      String key = keys.event(update.getVersion());
      events.add(new WrittenEvent(key, values.get(key), update));
    }
    return events;
  }

  /** The encoded event of the first change: what a commit check looks for. */
  byte[] firstEvent() {
    return values.get(keys.event(updates.get(0).getVersion()));
  }

  long lastVersion() {
    return updates.get(updates.size() - 1).getVersion();
  }

  /** 128 random bits in hex: unique among the transactions of every replica. */
  private static String randomId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return HexFormat.of().toHexDigits(random.nextLong())
        + HexFormat.of().toHexDigits(random.nextLong());
  }

  /** The node's record, encoded, as put; its event takes the same bytes. */
  private byte[] putNode(NodeInfo node) {
    byte[] value = RecordCodec.encode(node);
    put(keys.node(node.getId()), value);
    return value;
  }

  private void put(String key, byte[] value) {
    values.put(key, value); // a rewritten key keeps its place, with its last value
    size = size.plus(value == null ? TxnSize.delete(key) : TxnSize.put(key, value.length));
  }
}
