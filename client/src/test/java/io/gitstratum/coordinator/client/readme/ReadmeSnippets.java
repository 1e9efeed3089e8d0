package io.gitstratum.coordinator.client.readme;

import io.gitstratum.coordinator.client.agent.NodeAgent;
import io.gitstratum.coordinator.client.agent.NodeAgentListener;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.topology.TopologyWatcher;
import io.gitstratum.coordinator.proto.NodeType;
import java.time.Duration;
import java.util.List;

/**
 * The code of client/README.md's "The library", compiled with the tests: ReadmeSnippetsTest
 * requires every java block of the README to appear here as written.
 */
final class ReadmeSnippets {
  private ReadmeSnippets() {}

  static void route() throws InterruptedException {
    // snippet: router
    try (CoordinatorClient client = CoordinatorClient.builder("coord-0:9000,coord-1:9000").build();
         TopologyWatcher watcher = TopologyWatcher.builder(client).start()) {
      watcher.awaitSynced(Duration.ofSeconds(10));
      List<String> replicas = watcher.replicasFor("repo/alpha");          // from memory
      List<String> spread = watcher.replicasFor("repo/alpha", "zone");   // spread over zones (opt-in)
    }
  }

  static void serve(CoordinatorClient client) {
    // snippet: node
    NodeAgent agent = NodeAgent.builder(client)
        .nodeId("obj-1").address("10.0.0.7", 7000).type(NodeType.NODE_TYPE_OBJECT)
        .label("zone", "eu-1a")
        .listener(new NodeAgentListener() {
          @Override public void stopped(ZombieGenerationException cause) { /* stop serving */ }
        })
        .build();
    agent.start();      // RegisterNode: JOINING, heartbeats begin
    agent.markReady();  // ACTIVE
    // ... serve ...
    agent.drain();      // DRAINING: still a replica (gitstratum's ring), about to leave
    agent.close();      // DeregisterNode with this process's generation id
  }
}
