package io.gitstratum.coordinator.client.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.client.testing.FakeCoordinator;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which failures move the client, which wait where it is, which are not retried. */
class RemedyTest {

  @ParameterizedTest(name = "{0} {1} {2} -> {3}")
  @CsvSource({
      // A replica's own trouble: another replica may serve.
      "UNAVAILABLE, '', '', ANOTHER_REPLICA",
      "DEADLINE_EXCEEDED, '', '', ANOTHER_REPLICA",
      "UNAVAILABLE, REPLICA_NOT_READY, '', ANOTHER_REPLICA",
      "UNAVAILABLE, SHUTTING_DOWN, '', ANOTHER_REPLICA",
      "UNAVAILABLE, REPLICA_OVERLOADED, '', ANOTHER_REPLICA",
      "UNAVAILABLE, STREAM_STALLED, '', ANOTHER_REPLICA",
      "RESOURCE_EXHAUSTED, RATE_LIMITED, replica, ANOTHER_REPLICA",
      "RESOURCE_EXHAUSTED, WATCHER_LIMIT, replica, ANOTHER_REPLICA",
      // What every replica shares (the one etcd, the caller's own limit): moving cannot help.
      "UNAVAILABLE, ETCD_UNAVAILABLE, '', SAME_LATER",
      "UNAVAILABLE, WRITE_QUEUE_FULL, '', SAME_LATER",
      "UNAVAILABLE, WRITE_CONTENTION, '', SAME_LATER",
      "RESOURCE_EXHAUSTED, RATE_LIMITED, client, SAME_LATER",
      "RESOURCE_EXHAUSTED, WATCHER_LIMIT, client, SAME_LATER",
      // Repeating cannot help: a message over a size limit, and every other code.
      "RESOURCE_EXHAUSTED, '', '', NONE",
      "NOT_FOUND, NODE_NOT_FOUND, '', NONE",
      "FAILED_PRECONDITION, GENERATION_MISMATCH, '', NONE",
      "INVALID_ARGUMENT, INVALID_FIELD, '', NONE",
      "PERMISSION_DENIED, PERMISSION_DENIED, '', NONE",
      "INTERNAL, CORRUPT_RECORD, '', NONE",
      "UNIMPLEMENTED, '', '', NONE",
  })
  void eachFailureHasItsRemedy(Status.Code code, String reason, String scope, Remedy remedy) {
    Map<String, String> metadata = scope.isEmpty() ? Map.of() : Map.of("scope", scope);
    CoordinatorClientException e = ClientErrors.fromThrowable(
        FakeCoordinator.error(code, reason, metadata, Duration.ofSeconds(1)), "r:1");
    assertEquals(remedy, e.remedy());
    assertEquals(remedy != Remedy.NONE, e.isRetryable());
  }
}
