package io.gitstratum.coordinator.facade.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.gitstratum.coordinator.facade.core.Durations;
import io.gitstratum.coordinator.facade.etcd.SilentMembers;
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
 * in turn, skipping a member found silent ({@link SilentMembers}): one that left a commit
 * unanswered here, or that the keep-alive lanes found silent. With one endpoint there is
 * nothing to choose and {@link #pick} is empty. Thread-safe.
 */
public final class MemberRoutes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MemberRoutes.class);
  /** One member's client, by its index in the configured endpoints. */
  public record Route(int index, KV kv) {}

  private final List<Client> clients;
  private final List<KV> kvs;
  private final SilentMembers silent;

  @GuardedBy("this")
  private int next;

  /**
   * @param clients one per member, in endpoint order (empty: a single endpoint)
   * @param silent the members found silent, shared with the keep-alive lanes
   */
  public MemberRoutes(List<Client> clients, SilentMembers silent) {
    this.clients = List.copyOf(clients);
    this.kvs = this.clients.stream().map(Client::getKVClient).toList();
    this.silent = silent;
  }

  /** No choice to make: every transaction goes over the shared client. */
  public static MemberRoutes none() {
    return new MemberRoutes(List.of(), new SilentMembers(0, Duration.ofSeconds(1)));
  }

  /** The next member not being skipped, in turn; empty when there is no choice to make. */
  public synchronized Optional<Route> pick() {
    if (kvs.isEmpty()) {
      return Optional.empty();
    }
    int chosen = silent.nextAnswering(next);
    next = (chosen + 1) % kvs.size();
    return Optional.of(new Route(chosen, kvs.get(chosen)));
  }

  /** A transaction sent over {@code route} got no answer: later ones skip that member. */
  public void unanswered(Route route, String why) {
    if (silent.markSilent(route.index())) {
      log.warn("etcd endpoint {} left a topology commit unanswered ({}): commits skip it for {}",
          route.index(), why, Durations.format(silent.avoidedFor()));
    }
  }

  @Override
  public void close() {
    clients.forEach(Client::close);
  }
}
