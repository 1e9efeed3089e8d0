package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.client.errors.NodeNotFoundException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.Topology;
import io.gitstratum.coordinator.proto.NodeInfo;
import java.util.ArrayList;
import java.util.List;

/** A node as the topology holds it right now, for commands that act on one node. */
record NodeLookup(NodeInfo node, long version) {

  /**
   * Reads the topology linearizably (so a node registered a moment ago through another replica
   * is found) and returns the node.
   *
   * @throws NodeNotFoundException when no node has that id (exit code 4)
   */
  static NodeLookup find(CoordinatorClient client, String nodeId) {
    return findAll(client, List.of(nodeId)).get(0);
  }

  /**
   * As {@link #find}, for several nodes from one read, in the order given.
   *
   * @throws NodeNotFoundException naming the first id that is not in the topology
   */
  static List<NodeLookup> findAll(CoordinatorClient client, List<String> nodeIds) {
    Topology topology = Topology.fromResponse(client.getTopology(true));
    List<NodeLookup> found = new ArrayList<>();
    for (String nodeId : nodeIds) {
      NodeInfo node = topology.node(nodeId).orElseThrow(() -> new NodeNotFoundException(
          "unknown node '" + nodeId + "': not in the topology (version " + topology.version()
              + ")", "", null));
      found.add(new NodeLookup(node, topology.version()));
    }
    return found;
  }
}
