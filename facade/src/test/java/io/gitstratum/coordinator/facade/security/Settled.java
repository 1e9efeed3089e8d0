package io.gitstratum.coordinator.facade.security;

import static org.awaitility.Awaitility.await;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceBlockingStub;
import io.gitstratum.coordinator.proto.GetLeaderRequest;
import java.time.Duration;

/**
 * Waits until a freshly started replica has done its own start-up writes (its replica record and
 * the detector election), so that a test comparing etcd's revision sees only what requests do.
 */
final class Settled {
  private Settled() {}

  static CoordinatorServiceBlockingStub detectorElected(CoordinatorServiceBlockingStub facade) {
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() ->
        !facade.getLeader(GetLeaderRequest.getDefaultInstance()).getLeaderId().isEmpty());
    return facade;
  }
}
