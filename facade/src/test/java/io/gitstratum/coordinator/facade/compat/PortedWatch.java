package io.gitstratum.coordinator.facade.compat;

import gitstratum.CoordinatorServiceGrpc;
import gitstratum.Gitstratum.GetTopologyResponse;
import gitstratum.Gitstratum.TopologyUpdate;
import gitstratum.Gitstratum.WatchTopologyRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code watch_topology_with_recovery} of gitstratum's client.rs (d80ae157), ported as it reads:
 * a new connection per stream, {@code since_version} = the version held; keepalive ignored;
 * {@code lagged} drops the cache, sets the version to 0 and reconnects (it does not wait for the
 * full_sync that follows); a full_sync replaces the cache; a change whose
 * {@code previous_version} is neither the version held nor 0 is a gap (cache dropped, version 0,
 * reconnect); an update it does not know is skipped without moving the version; a broken or
 * ended stream reconnects at the version held. Messages are decoded with gitstratum's own
 * classes. {@link #pause()} stops reading (HTTP/2 flow control pushes back), as a busy consumer
 * would. Events are recorded as "Kind version" strings.
 */
final class PortedWatch implements AutoCloseable {
  private final Supplier<ManagedChannel> connect;
  private final ExecutorService reconnects = Executors.newSingleThreadExecutor();
  private final List<String> events = new ArrayList<>();
  private long currentVersion;
  private GetTopologyResponse cache;
  private boolean paused;
  private boolean closed;
  private ManagedChannel channel;
  private ClientCall<WatchTopologyRequest, TopologyUpdate> call;
  private long streams;

  PortedWatch(Supplier<ManagedChannel> connect) {
    this.connect = connect;
  }

  synchronized PortedWatch start() {
    open();
    return this;
  }

  private synchronized void open() {
    if (closed) {
      return;
    }
    streams++;
    channel = connect.get();
    ClientCall<WatchTopologyRequest, TopologyUpdate> opened = channel.newCall(
        CoordinatorServiceGrpc.getWatchTopologyMethod(), CallOptions.DEFAULT);
    call = opened;
    opened.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(TopologyUpdate update) {
        handle(opened, update);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ended(opened, status.isOk() ? "StreamEnded" : "Error " + status.getCode());
      }
    }, new Metadata());
    opened.sendMessage(WatchTopologyRequest.newBuilder().setSinceVersion(currentVersion).build());
    opened.halfClose();
    opened.request(1);
  }

  private synchronized void handle(ClientCall<WatchTopologyRequest, TopologyUpdate> from,
      TopologyUpdate update) {
    if (from != call) {
      return;
    }
    switch (update.getUpdateCase()) {
      case KEEPALIVE -> events.add("Keepalive " + currentVersion);
      case LAGGED -> {
        events.add("Lagged " + update.getLagged().getCurrentVersion());
        breakAndReconnect(true);
        return;
      }
      case FULL_SYNC -> {
        currentVersion = update.getFullSync().getVersion();
        cache = update.getFullSync();
        events.add("FullSync " + currentVersion);
      }
      case NODE_ADDED, NODE_UPDATED, NODE_REMOVED -> {
        if (update.getPreviousVersion() != currentVersion && update.getPreviousVersion() != 0) {
          events.add("Gap " + update.getPreviousVersion() + " after " + currentVersion);
          breakAndReconnect(true);
          return;
        }
        currentVersion = update.getVersion();
        events.add(update.getUpdateCase() + " " + currentVersion);
      }
      default -> { } // None => {}: an update this proto does not know
    }
    if (!paused) {
      from.request(1);
    }
  }

  private synchronized void ended(ClientCall<WatchTopologyRequest, TopologyUpdate> from,
      String event) {
    if (from != call) {
      return;
    }
    events.add(event + " " + currentVersion);
    breakAndReconnect(false);
  }

  /** The loop's {@code break}: drop this stream and connect again (after its backoff). */
  private void breakAndReconnect(boolean invalidate) {
    if (invalidate) {
      cache = null;
      currentVersion = 0;
    }
    ClientCall<WatchTopologyRequest, TopologyUpdate> old = call;
    ManagedChannel oldChannel = channel;
    call = null;
    old.cancel("client.rs breaks out of the stream loop", null);
    oldChannel.shutdownNow();
    if (!closed) {
      reconnects.execute(this::open);
    }
  }

  synchronized void pause() {
    paused = true;
  }

  synchronized void resume() {
    paused = false;
    if (call != null) {
      call.request(1);
    }
  }

  synchronized long version() {
    return currentVersion;
  }

  synchronized GetTopologyResponse cache() {
    return cache;
  }

  synchronized List<String> events() {
    return List.copyOf(events);
  }

  synchronized long streams() {
    return streams;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (call != null) {
      call.cancel("closed", null);
      channel.shutdownNow();
    }
    reconnects.shutdownNow();
  }
}
