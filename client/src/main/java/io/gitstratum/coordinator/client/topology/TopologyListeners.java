package io.gitstratum.coordinator.client.topology;

import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watcher's listeners and the translation of applied steps into their callbacks. The watcher
 * hands over {@link #resynced} and {@link #changed} one at a time (under its stream's lock, on
 * the gRPC thread); the callbacks run on a thread of their own, one event at a time in version
 * order, so a slow listener delays neither the stream nor the lookups, which already answer from
 * the new topology. A failing listener is logged and does not keep the others from hearing the
 * event. Adding and removing is thread-safe.
 */
final class TopologyListeners implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TopologyListeners.class);

  private final List<TopologyListener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "topology-listeners");
    t.setDaemon(true);
    return t;
  });
  private volatile boolean closed;

  void add(TopologyListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  void remove(TopologyListener listener) {
    listeners.remove(listener);
  }

  void resynced(TopologyFollower.Step step) {
    each(l -> l.resynced(step.before(), step.after()));
  }

  /** Reports an applied change; the removed or previous node comes from the step's "before". */
  void changed(TopologyFollower.Step step) {
    TopologyUpdate u = step.update();
    Topology after = step.after();
    switch (u.getUpdateCase()) {
      case NODE_ADDED -> each(l -> l.nodeAdded(u.getNodeAdded(), after));
      case NODE_UPDATED -> {
        NodeInfo previous = known(step.before(), u.getNodeUpdated().getId());
        each(l -> l.nodeUpdated(previous, u.getNodeUpdated(), after));
      }
      case NODE_REMOVED -> {
        NodeInfo removed = known(step.before(), u.getNodeRemoved());
        each(l -> l.nodeRemoved(removed, after));
      }
      case HASH_RING_CONFIG_UPDATED ->
          each(l -> l.ringConfigChanged(u.getHashRingConfigUpdated(), after));
      default -> { } // the follower applies nothing else
    }
  }

  /** The node as held, or just its id when the topology did not hold it. */
  private static NodeInfo known(Topology topology, String nodeId) {
    return topology.node(nodeId).orElse(NodeInfo.newBuilder().setId(nodeId).build());
  }

  /** No listener is called for an event that had not started when this returns. */
  @Override
  public void close() {
    closed = true;
    events.shutdownNow();
  }

  private void each(Consumer<TopologyListener> event) {
    if (closed) {
      return;
    }
    try {
      events.execute(() -> callEach(event));
    } catch (RejectedExecutionException e) {
      // Closed meanwhile: nobody hears events any more.
    }
  }

  private void callEach(Consumer<TopologyListener> event) {
    for (TopologyListener listener : listeners) {
      if (closed) {
        return;
      }
      try {
        event.accept(listener);
      } catch (RuntimeException e) {
        log.warn("topology listener {} failed", listener, e);
      }
    }
  }
}
