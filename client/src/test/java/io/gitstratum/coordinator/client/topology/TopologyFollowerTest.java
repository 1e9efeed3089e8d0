package io.gitstratum.coordinator.client.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.client.topology.TopologyFollower.Kind;
import io.gitstratum.coordinator.proto.GetTopologyResponse;
import io.gitstratum.coordinator.proto.HashRingConfig;
import io.gitstratum.coordinator.proto.Keepalive;
import io.gitstratum.coordinator.proto.Lagged;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.NodeState;
import io.gitstratum.coordinator.proto.NodeType;
import io.gitstratum.coordinator.proto.TopologyUpdate;
import org.junit.jupiter.api.Test;

class TopologyFollowerTest {

  static NodeInfo node(String id, NodeState state) {
    return NodeInfo.newBuilder().setId(id).setAddress("10.0.0.1").setPort(7000)
        .setType(NodeType.NODE_TYPE_OBJECT).setState(state).setGenerationId("g").build();
  }

  static TopologyUpdate fullSync(long previous, long version, NodeInfo... nodes) {
    GetTopologyResponse.Builder full = GetTopologyResponse.newBuilder().setVersion(version)
        .setHashRingConfig(HashRingConfig.newBuilder().setVirtualNodesPerPhysical(16)
            .setReplicationFactor(3));
    for (NodeInfo n : nodes) {
      full.addObjectNodes(n);
    }
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(previous)
        .setFullSync(full).build();
  }

  static TopologyUpdate added(long previous, long version, NodeInfo node) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(previous)
        .setNodeAdded(node).build();
  }

  static TopologyUpdate updated(long previous, long version, NodeInfo node) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(previous)
        .setNodeUpdated(node).build();
  }

  static TopologyUpdate keepalive(long version) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version)
        .setKeepalive(Keepalive.newBuilder().setServerTime(1)).build();
  }

  static TopologyUpdate lagged(long version) {
    return TopologyUpdate.newBuilder().setVersion(version).setPreviousVersion(version)
        .setLagged(Lagged.newBuilder().setCurrentVersion(version + 50).setMissedUpdates(50))
        .build();
  }

  @Test
  void appliesChangesThatFollowAndResumesOnGaps() {
    TopologyFollower f = new TopologyFollower();
    assertEquals(Kind.RESYNCED, f.accept(fullSync(0, 5, node("a", NodeState.NODE_STATE_ACTIVE)))
        .kind());
    assertTrue(f.synced());
    assertEquals(Kind.IGNORED, f.accept(keepalive(5)).kind());
    TopologyFollower.Step step = f.accept(added(5, 6, node("b", NodeState.NODE_STATE_JOINING)));
    assertEquals(Kind.APPLIED, step.kind());
    assertEquals(5, step.before().version());
    assertEquals(6, f.version());
    assertEquals(2, f.topology().size());

    TopologyFollower.Step gap = f.accept(updated(7, 8, node("b", NodeState.NODE_STATE_ACTIVE)));
    assertEquals(Kind.RESUME, gap.kind());
    assertTrue(gap.reason().contains("gap"), gap.reason());
    assertEquals(6, f.version(), "a gap changes nothing");

    TopologyFollower.Step skip = f.accept(updated(6, 9, node("b", NodeState.NODE_STATE_ACTIVE)));
    assertEquals(Kind.RESUME, skip.kind(), "must advance by exactly 1");
  }

  @Test
  void repeatsAreIgnored() {
    TopologyFollower f = new TopologyFollower();
    f.accept(fullSync(0, 5));
    f.accept(added(5, 6, node("b", NodeState.NODE_STATE_JOINING)));
    TopologyFollower.Step repeat = f.accept(added(5, 6, node("b", NodeState.NODE_STATE_JOINING)));
    assertEquals(Kind.IGNORED, repeat.kind());
    assertEquals(Kind.IGNORED, f.accept(added(2, 3, node("c", NodeState.NODE_STATE_JOINING)))
        .kind());
    assertEquals(6, f.version());
  }

  @Test
  void laggedMustBeFollowedByAFullSync() {
    TopologyFollower f = new TopologyFollower();
    f.accept(fullSync(0, 5));
    assertEquals(Kind.IGNORED, f.accept(lagged(5)).kind());
    assertEquals(Kind.RESUME, f.accept(added(5, 6, node("b", NodeState.NODE_STATE_JOINING)))
        .kind());

    TopologyFollower g = new TopologyFollower();
    g.accept(fullSync(0, 5));
    g.accept(lagged(5));
    assertEquals(Kind.RESYNCED, g.accept(fullSync(5, 60, node("z", NodeState.NODE_STATE_ACTIVE)))
        .kind());
    assertEquals(Kind.APPLIED, g.accept(added(60, 61, node("y", NodeState.NODE_STATE_JOINING)))
        .kind());
  }

  @Test
  void changesBeforeTheFirstFullSyncAreAProtocolError() {
    TopologyFollower f = new TopologyFollower();
    assertEquals(Kind.RESUME, f.accept(added(0, 1, node("a", NodeState.NODE_STATE_JOINING)))
        .kind());
    assertFalse(f.synced());
    assertEquals(Kind.IGNORED, f.accept(TopologyUpdate.newBuilder().setVersion(3).build())
        .kind(), "a message type this client does not know");
  }

  @Test
  void aFullSyncIsAcceptedWhateverItsPreviousVersion() {
    TopologyFollower f = new TopologyFollower();
    f.accept(fullSync(0, 5));
    assertEquals(Kind.RESYNCED, f.accept(fullSync(3, 9)).kind());
    assertEquals(9, f.version());
  }
}
