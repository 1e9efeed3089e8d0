package io.gitstratum.coordinator.facade.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestCategoryTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "RegisterNode, REGISTRATIONS", "DeregisterNode, REGISTRATIONS",
      // gitstratum's legacy writes share the registrations' limits.
      "AddNode, REGISTRATIONS", "RemoveNode, REGISTRATIONS", "SetNodeState, REGISTRATIONS",
      "Heartbeat, HEARTBEATS", "GetClusterState, READS", "GetTopology, READS",
      "WatchTopology, READS"})
  void eachMethodHasItsCategory(String method, RequestCategory expected) {
    assertEquals(expected, RequestCategory.of("gitstratum.CoordinatorService/" + method));
  }
}
