package io.gitstratum.coordinator.facade.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import io.gitstratum.coordinator.facade.errors.UnavailableException;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every error the writer can see from a commit, and what it means: refused (nothing applied, the
 * outcome is known) or ambiguous (only a read of etcd can tell). The messages are etcd 3.4's own
 * (api/v3rpc/rpctypes) and gRPC's.
 */
class EtcdRefusalTest {
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "INVALID_ARGUMENT   | etcdserver: too many operations in txn request | TOO_MANY_OPS",
      "INVALID_ARGUMENT   | etcdserver: request is too large                | TOO_LARGE",
      "RESOURCE_EXHAUSTED | grpc: received message larger than max (2097152 vs. 1572864) | TOO_LARGE",
      "RESOURCE_EXHAUSTED | gRPC message exceeds maximum size 4194304: 5000000 | TOO_LARGE",
      "INVALID_ARGUMENT   | etcdserver: duplicate key given in txn request  | REFUSED",
      "INVALID_ARGUMENT   | etcdserver: key is not provided                 | REFUSED",
      "NOT_FOUND          | etcdserver: requested lease not found           | LEASE_NOT_FOUND",
      "RESOURCE_EXHAUSTED | etcdserver: mvcc: database space exceeded       | REFUSED",
      "RESOURCE_EXHAUSTED | etcdserver: too many requests                   | REFUSED",
      "PERMISSION_DENIED  | etcdserver: permission denied                   | REFUSED",
      "UNAUTHENTICATED    | etcdserver: invalid auth token                  | REFUSED",
      "FAILED_PRECONDITION| etcdserver: authentication is not enabled       | REFUSED",
      "UNAVAILABLE        | etcdserver: no leader                           | REFUSED",
      "UNAVAILABLE        | etcdserver: not capable                         | REFUSED",
      "UNAVAILABLE        | etcdserver: request timed out                   | -",
      "UNAVAILABLE        | etcdserver: leader changed                      | -",
      "UNAVAILABLE        | io exception                                    | -",
      "UNAVAILABLE        | -                                               | -",
      "DEADLINE_EXCEEDED  | deadline exceeded after 2.9s                    | -",
      "CANCELLED          | RST_STREAM closed stream                        | -",
      "UNKNOWN            | etcdserver: request timed out, possibly due to previous leader failure | -",
      "INTERNAL           | http2 exception                                 | -",
      "ABORTED            | -                                               | -",
      "DATA_LOSS          | -                                               | -",
  })
  void eachStatusHasOneMeaning(Status.Code code, String message, EtcdRefusal expected) {
    Optional<EtcdRefusal> refusal = EtcdRefusal.of(code, message);
    assertEquals(Optional.ofNullable(expected), refusal);
    // The same through the wrappers the store sees: gRPC's exception, jetcd's, our deadline's.
    Throwable grpc = Status.fromCode(code).withDescription(message).asRuntimeException();
    assertEquals(refusal, EtcdRefusal.of(grpc));
    assertEquals(refusal, EtcdRefusal.of(EtcdExceptionFactory.toEtcdException(grpc)));
    assertEquals(refusal, EtcdRefusal.of(new UnavailableException("etcd failed", grpc)));
    assertEquals(refusal, EtcdRefusal.of(EtcdExceptionFactory.newEtcdException(
        ErrorCode.valueOf(code.name()), message)), "jetcd's exception without a gRPC cause");
  }

  @Test
  void ourOwnDeadlinesAndCancellationsAreAmbiguous() {
    assertEquals(Optional.empty(), EtcdRefusal.of(new TimeoutException()));
    assertEquals(Optional.empty(), EtcdRefusal.of(new CancellationException()));
    assertEquals(Optional.empty(), EtcdRefusal.of(
        new UnavailableException("etcd did not answer topology commit within PT3S",
            new TimeoutException())));
  }
}
