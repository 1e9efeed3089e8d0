package io.gitstratum.coordinator.facade.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which etcd member the writer's next transaction (and each copy of a hedged read) goes to.
 * jetcd's own client sends calls round robin over every connection it holds, including one to a
 * member that stopped answering with its connections still open (a stopped process, a
 * black-holed host), and shares that turn with every other call: every third commit would wait
 * a whole etcd timeout there, with the writer committing one batch at a time, and a read's
 * copies could meet the same member again. So these calls go over one client per member, taken
 * in turn, and a member that left a commit unanswered (or whose connection failed) is skipped
 * for {@link #AVOIDED_FOR} etcd timeouts, as the keep-alive lanes skip it. With one endpoint
 * there is nothing to choose and {@link #pick} is empty. Thread-safe.
 */
public final class MemberRoutes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemberRoutes.class);
  /** How long, in etcd timeouts, a member that left a commit unanswered is skipped. */
  static final int AVOIDED_FOR = 10;

  /** One member's client, by its index in the configured endpoints. */
  public record Route(int index, KV kv) {}

  private final List<Client> clients;
  private final List<KV> kvs;
  private final long avoidNanos;

  @GuardedBy("this")
  private final long[] avoidedUntil;

  @GuardedBy("this")
  private int next;

  /** @param clients one per member, in endpoint order (empty: a single endpoint) */
  public MemberRoutes(List<Client> clients, Duration timeout) {
    this.clients = List.copyOf(clients);
    this.kvs = this.clients.stream().map(Client::getKVClient).toList();
    this.avoidNanos = timeout.toNanos() * AVOIDED_FOR;
    this.avoidedUntil = new long[clients.size()];
  }

  /** No choice to make: every transaction goes over the shared client. */
  public static MemberRoutes none() {
    return new MemberRoutes(List.of(), Duration.ofSeconds(1));
  }

  /** The next member not being skipped, in turn; empty when there is no choice to make. */
  public synchronized Optional<Route> pick() {
    if (kvs.isEmpty()) {
      return Optional.empty();
    }
    long now = System.nanoTime();
    int n = kvs.size();
    int chosen = -1;
    for (int i = 0; i < n; i++) {
      int candidate = (next + i) % n;
      if (avoidedUntil[candidate] - now <= 0) {
        chosen = candidate;
        break;
      }
    }
    if (chosen < 0) {
      chosen = soonestBack(); // every member skipped: the one whose time is up first
    }
    next = (chosen + 1) % n;
    return Optional.of(new Route(chosen, kvs.get(chosen)));
  }

  /** A transaction sent over {@code route} got no answer: later ones skip that member. */
  public void unanswered(Route route, String why) {
    boolean first;
    synchronized (this) {
      first = avoidedUntil[route.index()] - System.nanoTime() <= 0;
      avoidedUntil[route.index()] = System.nanoTime() + avoidNanos;
    }
    if (first) {
      log.warn("etcd endpoint {} left a topology commit unanswered ({}): commits skip it for "
          + "{} etcd timeouts", route.index(), why, AVOIDED_FOR);
    }
  }

  @GuardedBy("this")
  private int soonestBack() {
    int best = 0;
    for (int i = 1; i < avoidedUntil.length; i++) {
      if (avoidedUntil[i] - avoidedUntil[best] < 0) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public void close() {
    clients.forEach(Client::close);
  }
}
