package io.gitstratum.coordinator.facade.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.KeyValue;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.facade.it.FacadeHarness;
import io.gitstratum.coordinator.facade.server.FacadeServer;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.GetHashRingRequest;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import io.gitstratum.coordinator.proto.GetTopologyRequest;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HealthCheckRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.keyspace.Key;
import io.gitstratum.coordinator.schema.keyspace.Keyspace;
import io.gitstratum.coordinator.schema.records.ChangeReason;
import io.gitstratum.coordinator.schema.records.ChangeRecord;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A few thousand random requests from several clients at once against a real facade on real
 * etcd: valid ones, invalid values, and raw bytes that are not a request at all. The facade never
 * answers INTERNAL (nor UNKNOWN), every error carries an ErrorInfo, it keeps serving, and
 * afterwards etcd holds only valid records whose event log replays to the stored nodes.
 */
@Tag("etcd")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GrpcFuzzTest {
  /** Random but reproducible: a failure names it, {@code -Dgs.seed=<seed>} runs it again. */
  private static final long SEED = Long.getLong("gs.seed", System.nanoTime());

  private static final String CLUSTER = "fuzz";
  private static final int CLIENTS = 4;
  private static final int REQUESTS = Integer.getInteger("gs.fuzz.requests", 3000);
  private static final String[] POOL = {"f1", "f2", "f3", "f4", "f5", "f6"};
  private static final String[] UNARY = {"RegisterNode", "Heartbeat", "DeregisterNode",
      "GetTopology", "GetHashRing", "GetLeader", "HealthCheck"};

  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  private static FacadeHarness harness;
  private static FacadeServer server;

  @BeforeAll
  static void start() {
    harness = new FacadeHarness(etcd.endpoints());
    server = harness.start(CLUSTER);
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  @Test
  void randomRequestsNeverBreakTheFacadeOrItsData() throws Exception {
    Map<Status.Code, AtomicInteger> codes = new ConcurrentHashMap<>();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        Random random = new Random(SEED + c);
        ManagedChannel channel = harness.channel(server);
        running.add(clients.submit(() -> {
          for (int i = 0; i < REQUESTS / CLIENTS; i++) {
            Status.Code code = oneRequest(channel, random);
            codes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> client : running) {
        client.get(100, TimeUnit.SECONDS);
      }
    } catch (ExecutionException e) {
      throw new AssertionError("fuzzing failed (reproduce with -Dgs.seed=" + SEED + "): "
          + e.getCause(), e.getCause());
    } finally {
      clients.shutdownNow();
    }
    Map<Status.Code, Integer> seen = new EnumMap<>(Status.Code.class);
    codes.forEach((code, n) -> seen.put(code, n.get()));
    System.out.println("fuzz answers by code: " + seen);
    assertTrue(seen.getOrDefault(Status.Code.OK, 0) > REQUESTS / 10, "enough succeeded: " + seen);
    assertTrue(seen.getOrDefault(Status.Code.INVALID_ARGUMENT, 0) > REQUESTS / 10,
        "enough were refused: " + seen);

    CoordinatorServiceBlockingStub facade = harness.stub(server);
    GetTopologyResponse topology = facade.getTopology(GetTopologyRequest.newBuilder()
        .setLinearizable(true).build());
    assertTrue(facade.healthCheck(HealthCheckRequest.getDefaultInstance()).getHealthy());
    etcdHoldsOnlyValidRecords(topology);
  }

  /** One random request; answers its status code after checking it is a proper answer. */
  private static Status.Code oneRequest(ManagedChannel channel, Random random) {
    CoordinatorServiceBlockingStub stub = CoordinatorServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS);
    int kind = random.nextInt(10);
    try {
      if (kind < 4) {
        typed(stub, random);
      } else if (kind < 8) {
        String method = UNARY[random.nextInt(UNARY.length)];
        RawCalls.call(channel, method, RandomRequests.bytes(random, validBytes(method, random)));
      } else if (kind < 9) {
        // No request message, or two, on a unary call.
        StatusRuntimeException answer = RawCalls.callWith(channel,
            RawCalls.unary(UNARY[random.nextInt(UNARY.length)]),
            List.of(new byte[0], new byte[0]).subList(0, random.nextInt(2) * 2));
        assertEquals(Status.Code.INVALID_ARGUMENT, answer.getStatus().getCode(),
            answer.toString());
        return checked(answer);
      } else {
        return watch(channel, random);
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return checked(e);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void typed(CoordinatorServiceBlockingStub stub, Random random) {
    switch (random.nextInt(8)) {
      case 0, 1 -> stub.registerNode(random.nextBoolean() ? RandomRequests.register(random)
          : RegisterNodeRequest.newBuilder().setNode(poolNode(random)).build());
      case 2, 3 -> stub.heartbeat(random.nextBoolean() ? RandomRequests.heartbeat(random)
          : HeartbeatRequest.newBuilder().setNodeId(POOL[random.nextInt(POOL.length)])
              .setGenerationId("g" + random.nextInt(2))
              .setReportedStateValue(random.nextInt(6)).build());
      case 4 -> stub.deregisterNode(random.nextBoolean() ? RandomRequests.deregister(random)
          : DeregisterNodeRequest.newBuilder().setNodeId(POOL[random.nextInt(POOL.length)])
              .build());
      case 5 -> stub.getTopology(GetTopologyRequest.newBuilder()
          .setLinearizable(random.nextBoolean()).setMinVersion(random.nextInt(5) == 0
              ? random.nextLong() : 0).build());
      case 6 -> stub.getHashRing(GetHashRingRequest.getDefaultInstance());
      default -> stub.getLeader(GetLeaderRequest.getDefaultInstance());
    }
  }

  /** A valid node from a small pool of ids, so that requests meet each other's nodes. */
  private static NodeInfo poolNode(Random random) {
    return NodeInfo.newBuilder().setId(POOL[random.nextInt(POOL.length)])
        .setAddress("10.0.0." + random.nextInt(3)).setPort(7000 + random.nextInt(2))
        .setType(random.nextInt(8) == 0 ? NodeType.NODE_TYPE_METADATA : NodeType.NODE_TYPE_OBJECT)
        .setGenerationId("g" + random.nextInt(2)).putLabels("zone", "z" + random.nextInt(2))
        .build();
  }

  private static byte[] validBytes(String method, Random random) {
    Supplier<byte[]> bytes = switch (method) {
      case "RegisterNode" -> () -> RegisterNodeRequest.newBuilder().setNode(poolNode(random))
          .build().toByteArray();
      case "Heartbeat" -> () -> RandomRequests.heartbeat(random).toByteArray();
      case "DeregisterNode" -> () -> RandomRequests.deregister(random).toByteArray();
      case "GetTopology" -> () -> GetTopologyRequest.newBuilder().setLinearizable(true)
          .setMinVersion(random.nextLong()).build().toByteArray();
      default -> () -> new byte[0];
    };
    return bytes.get();
  }

  /** A WatchTopology stream from raw bytes, cancelled after its first message. */
  private static Status.Code watch(ManagedChannel channel, Random random) {
    byte[] request = RandomRequests.bytes(random, WatchTopologyRequest.newBuilder()
        .setSinceVersion(random.nextInt(50)).build().toByteArray());
    Context.CancellableContext stream = Context.current().withCancellation();
    Context previous = stream.attach();
    try {
      var responses = ClientCalls.blockingServerStreamingCall(channel,
          RawCalls.serverStreaming("WatchTopology"),
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
      // A stream starts with a full_sync, a replay or (resuming at the current version) waits
      // for the next change: one message, or the deadline, shows it is serving.
      if (responses.hasNext()) {
        TopologyUpdate.parseFrom(responses.next());
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        return Status.Code.OK;
      }
      return checked(e);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("the facade sent a malformed update", e);
    } finally {
      stream.detach(previous);
      stream.cancel(null);
    }
  }

  /** An error must be a contract code with an ErrorInfo; never INTERNAL or UNKNOWN. */
  private static Status.Code checked(StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    if (code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN) {
      throw new AssertionError("the facade answered " + e.getStatus(), e);
    }
    assertNotNull(StatusProto.fromThrowable(e), "no details on " + e);
    ErrorDetails.of(e); // domain, reason present and consistent with the code
    return code;
  }

  private static void etcdHoldsOnlyValidRecords(GetTopologyResponse served) {
    Keyspace keys = FacadeHarness.keys(CLUSTER);
    Map<String, NodeInfo> stored = new TreeMap<>();
    Map<Long, TopologyUpdate> events = new TreeMap<>();
    List<String> alive = new ArrayList<>();
    List<String> drained = new ArrayList<>();
    Set<Long> histories = new TreeSet<>();
    long version = -1;
    for (KeyValue kv : harness.etcdPrefix(keys.prefix())) {
      String key = kv.getKey().toString(StandardCharsets.UTF_8);
      byte[] value = kv.getValue().getBytes();
      Key parsed = keys.parse(key);
      if (parsed instanceof Key.Node node) {
        NodeInfo record = RecordCodec.decodeNode(key, value);
        assertEquals(node.nodeId(), record.getId(), key);
        assertTrue(record.getId().matches("[A-Za-z0-9._:-]{1,128}"), key);
        assertTrue(record.getPort() >= 1 && record.getPort() <= 65535, key);
        assertTrue(record.getType() != NodeType.NODE_TYPE_UNKNOWN
            && record.getType() != NodeType.UNRECOGNIZED, key);
        assertTrue(record.getState() != NodeState.NODE_STATE_UNKNOWN
            && record.getState() != NodeState.UNRECOGNIZED, key);
        stored.put(record.getId(), record);
      } else if (parsed instanceof Key.Event event) {
        TopologyUpdate update = RecordCodec.decodeUpdate(key, value);
        assertEquals(event.version(), update.getVersion(), key);
        events.put(update.getVersion(), update);
      } else if (parsed instanceof Key.Version) {
        version = RecordCodec.decodeVersion(key, value);
      } else if (parsed instanceof Key.RingConfig) {
        RecordCodec.decodeRingConfig(key, value);
      } else if (parsed instanceof Key.Schema) {
        RecordCodec.decodeSchema(key, value);
      } else if (parsed instanceof Key.Facade) {
        RecordCodec.decodeFacade(key, value);
      } else if (parsed instanceof Key.History h) {
        ChangeRecord why = RecordCodec.decodeChange(key, value);
        assertTrue(why.getReason() != ChangeReason.CHANGE_REASON_UNSPECIFIED
            && !why.getActor().isEmpty() && why.getAt() > 0, key + ": " + why);
        histories.add(h.version());
      } else if (parsed instanceof Key.Alive a) {
        alive.add(a.nodeId());
      } else if (parsed instanceof Key.CommitMark) {
        assertTrue(value.length == 32, key + ": a transaction id of 32 hex digits");
      } else if (parsed instanceof Key.Drained d) {
        drained.add(d.nodeId());
      } else if (!(parsed instanceof Key.Grace)) {
        assertTrue(key.startsWith(keys.detectorElection()), "unexpected key " + key);
      }
    }
    assertTrue(stored.keySet().containsAll(alive), "alive keys only for stored nodes: " + alive);
    assertTrue(stored.keySet().containsAll(drained), "drain marks only for stored nodes");
    assertEquals(events.keySet(), histories, "every change event has its history record");
    assertEquals(served.getVersion(), version, "the version key is what the facade served");
    Topology replayed = Topology.empty();
    for (TopologyUpdate update : events.values()) {
      replayed = replayed.apply(update);
    }
    assertEquals(version, replayed.version(), "the event log is complete and consecutive");
    Map<String, NodeInfo> fromLog = new TreeMap<>();
    replayed.nodes().forEach(n -> fromLog.put(n.getId(), n));
    assertEquals(stored, fromLog, "the event log replays to the stored nodes");
  }
}
