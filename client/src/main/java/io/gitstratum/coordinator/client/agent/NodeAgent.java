package io.gitstratum.coordinator.client.agent;

import io.gitstratum.coordinator.client.errors.CoordinatorClientException;
import io.gitstratum.coordinator.client.errors.NodeNotFoundException;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CallLimit;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.HeartbeatResponse;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator side of a serving node's life: register, heartbeat, report readiness and
 * draining, deregister.
 *
 * <ul>
 *   <li>Each agent has a fresh generation id (a UUID): create one agent per process start, so the
 *       facade can tell a restarted process from a zombie.
 *   <li>{@link #start()} registers the node (JOINING) and starts heartbeats, the first at once,
 *       then at the interval the facade advises ({@code heartbeat_interval_ms}; 10 s until it
 *       has). Each heartbeat is bounded by the node's lease ({@code suspect_timeout_ms}): it
 *       never takes longer than the time left before the facade would count the node SUSPECT,
 *       and a failed one is tried again after the interval or half the lease left, whichever is
 *       sooner ({@link HeartbeatLoop}).
 *   <li>When {@link #start()} fails with an outcome not known (UNAVAILABLE: the registration
 *       may have been written), {@link #close()} deregisters the node's generation, best
 *       effort: an application that gives up on the agent closes it, and leaves no JOINING
 *       record behind.
 *   <li>{@link #markReady()} reports ACTIVE, {@link #drain()} DRAINING; both send a heartbeat
 *       at once and return when the facade acknowledged it.
 *   <li>{@code refresh_required} is passed to {@link NodeAgentListener#refreshRequired}.
 *   <li>NOT_FOUND (an operator deregistered the node, or the facade lost it) makes the agent
 *       register again with the same generation and report its state at once.
 *   <li>FAILED_PRECONDITION (another process registered the same id) stops the agent:
 *       {@link AgentState#REPLACED}, {@link #failure()}, {@link NodeAgentListener#stopped}.
 *   <li>{@link #close()} stops heartbeats and deregisters the node with its generation id.
 * </ul>
 *
 * <p>Thread-safe. Heartbeats are sent one at a time (a lock orders them, so a state reported
 * later is never overtaken by an older one); their timing is the {@link HeartbeatLoop}'s. The
 * agent does not own the client; it owns its heartbeat loop.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);

  private final CoordinatorClient client;
  private final NodeInfo node;
  private final NodeAgentListener listener;
  private final Clock clock;
  private final HeartbeatLoop beats;
  private final ReentrantLock beatLock = new ReentrantLock();

  private volatile AgentState state = AgentState.NEW;
  private volatile NodeState reported = NodeState.NODE_STATE_JOINING;
  private volatile Instant lastAcknowledged;
  private volatile CoordinatorClientException failure;
  private boolean maybeRegistered; // guarded by beatLock: a failed start() may have registered
  private long knownVersion; // guarded by beatLock

  private NodeAgent(Builder b) {
    this.client = b.client;
    this.node = NodeInfo.newBuilder()
        .setId(b.nodeId).setAddress(b.address).setPort(b.port).setType(b.type)
        .setGenerationId(b.generationId).putAllLabels(b.labels)
        .build();
    this.listener = b.listener;
    this.clock = b.clock;
    this.beats = new HeartbeatLoop(b.nodeId, () -> beat(true), b.defaultInterval, b.scheduler,
        System::nanoTime, new Random());
  }

  public static Builder builder(CoordinatorClient client) {
    return new Builder(client);
  }

  /**
   * Registers the node (JOINING) and starts heartbeats. Blocks for the RegisterNode call.
   *
   * @throws CoordinatorClientException when registration fails (the agent stays NEW; call
   *     again, or close it: when the outcome was not known, closing deregisters)
   * @throws IllegalStateException when already started or closed
   */
  public void start() {
    beatLock.lock();
    try {
      if (state != AgentState.NEW) {
        throw new IllegalStateException("agent for " + node.getId() + " is " + state);
      }
      try {
        knownVersion = register();
      } catch (CoordinatorClientException e) {
        maybeRegistered |= e instanceof UnavailableException; // the outcome is not known
        throw e;
      }
      state = AgentState.JOINING;
      log.info("registered node {} (generation {}) at version {}", node.getId(),
          node.getGenerationId(), knownVersion);
    } finally {
      beatLock.unlock();
    }
    beats.start();
  }

  /**
   * Reports the node ready to serve (ACTIVE). Sends a heartbeat at once.
   *
   * @throws CoordinatorClientException when that heartbeat fails; later heartbeats still
   *     report ACTIVE
   * @throws IllegalStateException before {@link #start()} or once REPLACED or CLOSED
   */
  public void markReady() {
    report(NodeState.NODE_STATE_ACTIVE);
  }

  /**
   * Reports the node leaving (DRAINING): routers stop placing writes on it, reads still reach
   * it. The facade keeps DRAINING until the node registers again. Sends a heartbeat at once.
   *
   * @throws CoordinatorClientException when that heartbeat fails; later heartbeats still
   *     report DRAINING
   * @throws IllegalStateException before {@link #start()} or once REPLACED or CLOSED
   */
  public void drain() {
    report(NodeState.NODE_STATE_DRAINING);
  }

  private void report(NodeState wanted) {
    beatLock.lock(); // one report at a time, so a drain is never overwritten by a racing ready
    try {
      AgentState now = state;
      if (now == AgentState.NEW) {
        throw new IllegalStateException("start() the agent first");
      }
      if (now.isTerminal()) {
        throw new IllegalStateException("the agent of node " + node.getId() + " is " + now,
            failure);
      }
      // DRAINING is final for this process: a late markReady must not undo it.
      if (reported != NodeState.NODE_STATE_DRAINING) {
        reported = wanted;
      }
      beat(false);
    } finally {
      beatLock.unlock();
    }
  }

  public AgentState state() {
    return state;
  }

  public String nodeId() {
    return node.getId();
  }

  public String generationId() {
    return node.getGenerationId();
  }

  /** The node as registered (no server-maintained fields). */
  public NodeInfo node() {
    return node;
  }

  /** The heartbeat interval in use (the facade's advice once it answered). */
  public Duration heartbeatInterval() {
    return beats.interval();
  }

  /** The facade's suspect timeout ({@code suspect_timeout_ms}; three intervals until told). */
  public Duration suspectTimeout() {
    return beats.suspectTimeout();
  }

  /** When the facade last acknowledged a heartbeat (by the agent's clock). */
  public Optional<Instant> lastAcknowledged() {
    return Optional.ofNullable(lastAcknowledged);
  }

  /** Why the agent stopped, when it is {@link AgentState#REPLACED}. */
  public Optional<CoordinatorClientException> failure() {
    return Optional.ofNullable(failure);
  }

  /** Registers the node; its lease counts from now. Assumes beatLock is held. */
  private long register() {
    long sent = beats.now();
    long version = client.registerNode(node).getTopologyVersion();
    beats.renewed(sent);
    return version;
  }

  /**
   * Sends one heartbeat with the state to report; re-registers after NOT_FOUND.
   *
   * @param byLease bound the call by the node's lease (the loop's heartbeats); else by the
   *     client's settings alone (a report the application waits for)
   */
  private void beat(boolean byLease) {
    beatLock.lock();
    try {
      if (state.isTerminal()) {
        return;
      }
      // Read under the lock: a report that held it may just have renewed the lease.
      CallLimit limit = byLease ? beats.limit() : null;
      NodeState wanted = reported;
      try {
        send(wanted, limit);
      } catch (NodeNotFoundException e) {
        log.warn("node {} is not registered any more ({}); registering it again", node.getId(),
            e.getMessage());
        knownVersion = register();
        state = AgentState.JOINING;
        notify(() -> listener.reregistered());
        send(wanted, null);
      }
    } catch (ZombieGenerationException e) {
      stopReplaced(e);
      throw e;
    } finally {
      beatLock.unlock();
    }
  }

  /** One heartbeat call. Assumes beatLock is held. */
  private void send(NodeState wanted, CallLimit limit) {
    long sent = beats.now();
    HeartbeatResponse response = client.heartbeat(request(wanted), limit);
    beats.renewed(sent);
    acknowledged(response, wanted);
  }

  private HeartbeatRequest request(NodeState wanted) {
    return HeartbeatRequest.newBuilder()
        .setNodeId(node.getId())
        .setGenerationId(node.getGenerationId())
        .setReportedState(wanted)
        .setKnownVersion(knownVersion)
        .build();
  }

  /** Assumes beatLock is held. */
  private void acknowledged(HeartbeatResponse response, NodeState wanted) {
    lastAcknowledged = clock.instant();
    log.debug("heartbeat of node {} ({}) acknowledged at version {}", node.getId(), wanted,
        response.getCurrentVersion());
    beats.advise(response.getHeartbeatIntervalMs(), response.getSuspectTimeoutMs());
    state = switch (wanted) {
      case NODE_STATE_ACTIVE -> AgentState.ACTIVE;
      case NODE_STATE_DRAINING -> AgentState.DRAINING;
      default -> AgentState.JOINING;
    };
    if (response.getRefreshRequired()) {
      long current = response.getCurrentVersion();
      notify(() -> listener.refreshRequired(current));
      knownVersion = current;
    }
  }

  /** Assumes beatLock is held. */
  private void stopReplaced(ZombieGenerationException cause) {
    if (state.isTerminal()) {
      return;
    }
    failure = cause;
    state = AgentState.REPLACED;
    beats.stop();
    log.error("node {} was registered again by another process; this one (generation {}) "
        + "stops acting as the node: {}", node.getId(), node.getGenerationId(),
        cause.getMessage());
    notify(() -> listener.stopped(cause));
  }

  private void notify(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("node agent listener failed", e);
    }
  }

  /**
   * Stops heartbeats and deregisters the node with its generation id (unless it was REPLACED, or
   * never started and no failed {@link #start()} may have registered it). Blocks for the
   * DeregisterNode call; a failure is logged, not thrown. Idempotent.
   */
  @Override
  public void close() {
    beatLock.lock();
    try {
      AgentState was = state;
      if (was == AgentState.CLOSED) {
        return;
      }
      state = AgentState.CLOSED;
      beats.stop();
      if (was == AgentState.NEW ? maybeRegistered : was != AgentState.REPLACED) {
        try {
          long version = client.deregisterNode(node.getId(), node.getGenerationId())
              .getTopologyVersion();
          log.info("deregistered node {} at version {}", node.getId(), version);
        } catch (ZombieGenerationException e) {
          log.warn("node {} belongs to another process now; not deregistered", node.getId());
        } catch (CoordinatorClientException e) {
          log.warn("could not deregister node {}: {}", node.getId(), e.getMessage());
        }
      }
    } finally {
      beatLock.unlock();
    }
    beats.close();
  }

  /** Settings of a {@link NodeAgent}. Not thread-safe. */
  public static final class Builder {
    private final CoordinatorClient client;
    private String nodeId;
    private String address;
    private int port;
    private NodeType type = NodeType.NODE_TYPE_OBJECT;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private String generationId = UUID.randomUUID().toString();
    private NodeAgentListener listener = new NodeAgentListener() {};
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private Duration defaultInterval = Duration.ofSeconds(10);

    private Builder(CoordinatorClient client) {
      this.client = Objects.requireNonNull(client, "client");
    }

    /** The node id (1-128 chars of {@code [A-Za-z0-9._:-]}). Required. */
    public Builder nodeId(String nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    /** Where clients reach the node. Required. */
    public Builder address(String address, int port) {
      this.address = address;
      this.port = port;
      return this;
    }

    /** The node type (default OBJECT). */
    public Builder type(NodeType type) {
      this.type = Objects.requireNonNull(type, "type");
      return this;
    }

    /** A label such as {@code zone=eu-1a}. */
    public Builder label(String key, String value) {
      labels.put(key, value);
      return this;
    }

    public Builder labels(Map<String, String> labels) {
      this.labels.putAll(labels);
      return this;
    }

    /** Replaces the random generation id (tests; never reuse one across process starts). */
    public Builder generationId(String generationId) {
      this.generationId = Objects.requireNonNull(generationId, "generationId");
      return this;
    }

    public Builder listener(NodeAgentListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The clock of {@link NodeAgent#lastAcknowledged()} (default UTC system clock). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Runs heartbeats here instead of on a thread of the agent's own (not shut down). */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** The interval until the facade advises one (default 10 s, the facade's default). */
    public Builder defaultHeartbeatInterval(Duration interval) {
      this.defaultInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * @throws IllegalArgumentException when the node id or address is missing
     */
    public NodeAgent build() {
      if (nodeId == null || nodeId.isEmpty()) {
        throw new IllegalArgumentException("nodeId is required");
      }
      if (address == null || address.isEmpty()) {
        throw new IllegalArgumentException("address is required");
      }
      return new NodeAgent(this);
    }
  }
}
