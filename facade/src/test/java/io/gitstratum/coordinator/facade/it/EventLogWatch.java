package io.gitstratum.coordinator.facade.it;

import static io.gitstratum.coordinator.facade.it.FacadeHarness.bytes;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/**
 * Follows one cluster's change-event log ({@code P/events/}) in etcd through a client the test
 * owns, not through a facade, and stamps each event with {@link System#nanoTime()} when it
 * arrives: what every replica wrote, when, even while the replicas' own path to etcd is faulty.
 *
 * <p>Thread-safe. The caller closes it; it does not close the client.
 */
public final class EventLogWatch implements AutoCloseable {

  /** One event of the log and when it reached this watch. */
  public record Stamped(TopologyUpdate update, long arrivedNanos) {}

  private final Client client;
  private final Keyspace keys;
  private final long baselineVersion;
  private final List<Stamped> events = new ArrayList<>(); // guarded by this
  private Throwable error; // guarded by this
  private Watch.Watcher watcher;

  private EventLogWatch(Client client, Keyspace keys, long baselineVersion) {
    this.client = client;
    this.keys = keys;
    this.baselineVersion = baselineVersion;
  }

  /** Starts following the log from etcd's current revision: no later event is missed. */
  public static EventLogWatch follow(Client client, Keyspace keys)
      throws InterruptedException, ExecutionException, TimeoutException {
    long revision = client.getKVClient().get(bytes("/"),
        GetOption.builder().withCountOnly(true).build()).get(5, TimeUnit.SECONDS)
        .getHeader().getRevision();
    List<TopologyUpdate> before = readLog(client, keys);
    EventLogWatch log = new EventLogWatch(client, keys,
        before.isEmpty() ? 0 : before.get(before.size() - 1).getVersion());
    log.watcher = client.getWatchClient().watch(bytes(keys.eventsPrefix()),
        WatchOption.builder().isPrefix(true).withRevision(revision + 1).build(),
        Watch.listener(log::onResponse, log::onError));
    return log;
  }

  /** Every event received so far, in the order etcd sent them. */
  public synchronized List<Stamped> events() {
    return List.copyOf(events);
  }

  /** Why the watch failed, or null while it follows. */
  public synchronized Throwable error() {
    return error;
  }

  /**
   * Waits until every event etcd's log holds now, written after this watch started, has arrived
   * here, so that {@link #events()} is complete up to this call; returns them.
   */
  public List<Stamped> awaitComplete(Duration timeout) throws Exception {
    Set<Long> expected = readLog(client, keys).stream().map(TopologyUpdate::getVersion)
        .filter(v -> v > baselineVersion).collect(Collectors.toSet());
    Awaitility.await().atMost(timeout).until(() -> error() != null || events().stream()
        .map(s -> s.update().getVersion()).collect(Collectors.toSet()).containsAll(expected));
    if (error() != null) {
      throw new AssertionError("the direct watch on the event log failed", error());
    }
    return events();
  }

  /** The events etcd's log holds now, in version order. */
  public static List<TopologyUpdate> readLog(Client client, Keyspace keys)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<TopologyUpdate> log = new ArrayList<>();
    for (KeyValue kv : client.getKVClient().get(bytes(keys.eventsPrefix()),
        GetOption.builder().isPrefix(true).build()).get(5, TimeUnit.SECONDS).getKvs()) {
      log.add(RecordCodec.decodeUpdate(kv.getKey().toString(StandardCharsets.UTF_8),
          kv.getValue().getBytes()));
    }
    return log;
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private void onResponse(WatchResponse response) {
    long now = System.nanoTime();
    for (WatchEvent event : response.getEvents()) {
      if (event.getEventType() != WatchEvent.EventType.PUT) {
        continue; // the detector trims old events; a trim is not a change
      }
      KeyValue kv = event.getKeyValue();
      TopologyUpdate update;
      try {
        update = RecordCodec.decodeUpdate(kv.getKey().toString(StandardCharsets.UTF_8),
            kv.getValue().getBytes());
      } catch (RuntimeException e) {
        onError(e);
        return;
      }
      synchronized (this) {
        events.add(new Stamped(update, now));
      }
    }
  }

  private synchronized void onError(Throwable t) {
    if (error == null) {
      error = t;
    }
  }
}
