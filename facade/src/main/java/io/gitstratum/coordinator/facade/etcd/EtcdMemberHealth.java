package io.gitstratum.coordinator.facade.etcd;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.cluster.MemberListResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which etcd members answer, checked in the background: every few seconds the member list, then
 * each member's Maintenance.Status at its own client URL, each with a deadline. A cluster that
 * lost one member of three keeps quorum and serves as before, so nothing on a request path would
 * notice; this check is what HealthCheck, the status page and the {@code etcd_member_up} metric
 * show. Never called on a request path: readers get the last result. Thread-safe.
 */
public final class EtcdMemberHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EtcdMemberHealth.class);
  /** How often the members are checked. */
  public static final Duration INTERVAL = Duration.ofSeconds(5);

  /**
   * One member as last checked.
   *
   * @param name etcd's member name (its id in hex while it has none)
   * @param endpoint the client URL checked
   * @param problem why it does not answer, or what it reports wrong while answering (an alarm,
   *     no leader); empty when all is well
   */
  public record Member(String name, String endpoint, boolean answers, String problem) {}

  /** The members as last checked; {@code checkedAtMs} 0: not checked yet. */
  public record Members(List<Member> members, long checkedAtMs) {
    static final Members UNKNOWN = new Members(List.of(), 0);

    public long answering() {
      return members.stream().filter(Member::answers).count();
    }

    /** Member name to whether it answers, in member-list order. */
    public Map<String, Boolean> upByName() {
      Map<String, Boolean> up = new LinkedHashMap<>();
      members.forEach(m -> up.put(m.name(), m.answers()));
      return up;
    }
  }

  private record Target(String name, String endpoint) {}

  private final Client client;
  private final Function<String, ManagedChannel> channelFactory;
  private final List<String> configuredEndpoints;
  private final Duration timeout;
  private final ScheduledExecutorService scheduler;
  private final LongSupplier clockMs;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final AtomicReference<Members> last = new AtomicReference<>(Members.UNKNOWN);
  private final AtomicReference<List<Target>> known = new AtomicReference<>(List.of());
  private final AtomicBoolean checking = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();

  /**
   * @param channelFactory opens a channel to a member's client URL (TLS as for the others)
   * @param configuredEndpoints checked by URL until a member list has been read
   * @param timeout deadline of each call (the member list, each member's status)
   */
  public EtcdMemberHealth(Client client, Function<String, ManagedChannel> channelFactory,
      List<String> configuredEndpoints, Duration timeout, ScheduledExecutorService scheduler,
      LongSupplier clockMs) {
    this.client = client;
    this.channelFactory = channelFactory;
    this.configuredEndpoints = List.copyOf(configuredEndpoints);
    this.timeout = timeout.compareTo(INTERVAL) < 0 ? timeout : INTERVAL;
    this.scheduler = scheduler;
    this.clockMs = clockMs;
  }

  public void start() {
    task.set(scheduler.scheduleWithFixedDelay(this::check, 0, INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS));
  }

  /** The last result; never waits. */
  public Members members() {
    return last.get();
  }

  /** One check, unless the previous one is still running; completes when it is recorded. */
  public CompletableFuture<Members> check() {
    if (closed.get() || !checking.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(last.get());
    }
    CompletableFuture<MemberListResponse> list;
    try {
      list = client.getClusterClient().listMember();
    } catch (RuntimeException e) {
      // Thrown out of the scheduled task, it would end the periodic check for good.
      log.warn("etcd member check failed: {}", e.toString());
      checking.set(false);
      return CompletableFuture.completedFuture(last.get());
    }
    return list.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((answer, error) -> error == null ? targets(answer) : fallbackTargets())
        .thenCompose(this::probeAll)
        .whenComplete((members, error) -> {
          if (error != null) {
            log.warn("etcd member check failed: {}", error.toString());
          } else {
            record(members);
          }
          checking.set(false);
        });
  }

  private List<Target> targets(MemberListResponse list) {
    List<Target> targets = new ArrayList<>();
    list.getMembers().forEach(m -> targets.add(new Target(
        m.getName().isEmpty() ? Long.toHexString(m.getId()) : m.getName(),
        m.getClientURIs().isEmpty() ? "" : m.getClientURIs().get(0).toString())));
    known.set(List.copyOf(targets));
    return targets;
  }

  /** Without a member list (no member answered it): the members known before, else the URLs. */
  private List<Target> fallbackTargets() {
    List<Target> before = known.get();
    return before.isEmpty()
        ? configuredEndpoints.stream().map(e -> new Target(e, e)).toList() : before;
  }

  private CompletableFuture<Members> probeAll(List<Target> targets) {
    List<CompletableFuture<Member>> probes = targets.stream().map(this::probe).toList();
    return CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).thenApply(ignored ->
        new Members(probes.stream().map(CompletableFuture::join).toList(), clockMs.getAsLong()));
  }

  private CompletableFuture<Member> probe(Target target) {
    CompletableFuture<Member> out = new CompletableFuture<>();
    if (target.endpoint().isEmpty()) {
      out.complete(new Member(target.name(), "", false, "not started (no client URL)"));
      return out;
    }
    if (closed.get()) {
      String why = "replica stopping"; // a reason for people, not an etcd operation's name
      out.complete(new Member(target.name(), target.endpoint(), false, why));
      return out;
    }
    ManagedChannel channel;
    try {
      channel = channels.computeIfAbsent(target.endpoint(), channelFactory);
    } catch (RuntimeException e) {
      out.complete(new Member(target.name(), target.endpoint(), false, e.getMessage()));
      return out;
    }
    Futures.addCallback(MaintenanceGrpc.newFutureStub(channel)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .status(StatusRequest.getDefaultInstance()), new FutureCallback<StatusResponse>() {
          @Override
          public void onSuccess(StatusResponse status) {
            String problem = status.getErrorsCount() > 0 ? String.join("; ",
                status.getErrorsList()) : status.getLeader() == 0 ? "no leader" : "";
            out.complete(new Member(target.name(), target.endpoint(), true, problem));
          }

          @Override
          public void onFailure(Throwable error) {
            out.complete(new Member(target.name(), target.endpoint(), false, why(error)));
          }
        }, MoreExecutors.directExecutor());
    return out;
  }

  private String why(Throwable error) {
    Status status = Status.fromThrowable(error);
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      return "no answer within " + timeout.toMillis() + " ms";
    }
    // "UNAVAILABLE: io exception" says little; the cause says "Connection refused".
    return status.getCode() + (status.getDescription() == null ? ""
        : ": " + status.getDescription())
        + (status.getCause() == null ? "" : " (" + status.getCause().getMessage() + ")");
  }

  private void record(Members now) {
    Members before = last.getAndSet(now);
    Map<String, Boolean> was = before.upByName();
    for (Member member : now.members()) {
      Boolean up = was.get(member.name());
      if (!member.answers() && !Boolean.FALSE.equals(up)) {
        log.warn("etcd member {} ({}) does not answer: {}; {} of {} members answer",
            member.name(), member.endpoint(), member.problem(), now.answering(),
            now.members().size());
      } else if (member.answers() && Boolean.FALSE.equals(up)) {
        log.info("etcd member {} ({}) answers again", member.name(), member.endpoint());
      }
    }
  }

  @Override
  public void close() {
    closed.set(true);
    ScheduledFuture<?> running = task.get();
    if (running != null) {
      running.cancel(false);
    }
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
