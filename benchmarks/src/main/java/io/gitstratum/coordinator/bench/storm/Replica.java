package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc;
import io.gitstratum.coordinator.admin.CoordinatorAdminGrpc.CoordinatorAdminBlockingStub;
import io.gitstratum.coordinator.bench.facade.FacadeProcess;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc.CoordinatorServiceFutureStub;
import java.util.ArrayList;
import java.util.List;

/**
 * The calls of a storm's clients to one replica: a few shared HTTP/2 connections carrying
 * thousands of concurrent calls (node {@code i} always uses the same one), the admin service on
 * the same plaintext port, and a {@link Census} on its own connection.
 */
final class Replica {
  private static final int CHANNELS = 4;

  private final FacadeProcess facade;
  private final List<CoordinatorServiceFutureStub> stubs = new ArrayList<>();
  private final CoordinatorAdminBlockingStub admin;
  private final Census census;

  Replica(FacadeProcess facade) {
    this.facade = facade;
    for (int c = 0; c < CHANNELS; c++) {
      stubs.add(CoordinatorServiceGrpc.newFutureStub(facade.newChannel()));
    }
    var own = facade.newChannel();
    admin = CoordinatorAdminGrpc.newBlockingStub(own);
    census = new Census(CoordinatorServiceGrpc.newBlockingStub(own));
  }

  FacadeProcess process() {
    return facade;
  }

  /** The stub node {@code i}'s calls go through. */
  CoordinatorServiceFutureStub calls(int i) {
    return stubs.get(i % CHANNELS);
  }

  CoordinatorAdminBlockingStub admin() {
    return admin;
  }

  Census census() {
    return census;
  }
}
