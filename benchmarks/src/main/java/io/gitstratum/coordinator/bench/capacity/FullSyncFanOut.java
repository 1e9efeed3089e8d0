package io.gitstratum.coordinator.bench.capacity;

import io.gitstratum.coordinator.proto.CoordinatorServiceGrpc;
import io.gitstratum.coordinator.proto.WatchTopologyRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code streams} WatchTopology streams opened at once from version 0, each waiting for its
 * full_sync: the time until the last one has it whole. Messages are counted, not decoded, so that
 * this one client process measures the replica rather than its own protobuf parsing.
 */
final class FullSyncFanOut {
  /** A message this large is the full_sync; keepalives are a few bytes. */
  private static final long FULL_SYNC_MIN_BYTES = 1 << 20;
  private static final int CHANNELS = 8;

  /**
   * The outcome: time to the last full_sync, bytes received, streams that failed, and what
   * {@code whileOpen} measured once every stream had its full_sync (before they were closed).
   */
  record Result(Duration toLast, long bytes, long failed, String firstError, long whileOpen) {}

  /** A measurement taken while the streams are still open. */
  interface Probe {
    long measure() throws Exception;
  }

  private FullSyncFanOut() {}

  static Result run(int port, int streams, Duration timeout, Probe whileOpen) throws Exception {
    MethodDescriptor<WatchTopologyRequest, Long> counted = CoordinatorServiceGrpc
        .getWatchTopologyMethod().toBuilder(
            ProtoUtils.marshaller(WatchTopologyRequest.getDefaultInstance()), new Counter())
        .build();
    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < CHANNELS; i++) {
      channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
          .maxInboundMessageSize(64 << 20).build());
    }
    CountDownLatch synced = new CountDownLatch(streams);
    AtomicLong bytes = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicReference<String> firstError = new AtomicReference<>("");
    List<io.grpc.ClientCall<WatchTopologyRequest, Long>> calls = new ArrayList<>();
    long start = System.nanoTime();
    AtomicLong last = new AtomicLong(start);
    try {
      for (int i = 0; i < streams; i++) {
        io.grpc.ClientCall<WatchTopologyRequest, Long> call = channels.get(i % CHANNELS)
            .newCall(counted, CallOptions.DEFAULT);
        calls.add(call);
        ClientCalls.asyncServerStreamingCall(call, WatchTopologyRequest.getDefaultInstance(),
            new StreamObserver<Long>() {
              private boolean done;

              @Override
              public void onNext(Long size) {
                if (!done && size >= FULL_SYNC_MIN_BYTES) {
                  done = true;
                  bytes.addAndGet(size);
                  last.accumulateAndGet(System.nanoTime(), Math::max);
                  synced.countDown();
                }
              }

              @Override
              public void onError(Throwable t) {
                if (!done) {
                  done = true;
                  failed.incrementAndGet();
                  firstError.compareAndSet("", t.toString());
                  synced.countDown();
                }
              }

              @Override
              public void onCompleted() {
                onError(new IllegalStateException("stream ended"));
              }
            });
      }
      synced.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
      long missing = synced.getCount();
      Duration toLast = Duration.ofNanos(last.get() - start);
      return new Result(toLast, bytes.get(), failed.get() + missing, missing > 0 ? missing
          + " streams still waiting after " + timeout : firstError.get(), whileOpen.measure());
    } finally {
      calls.forEach(c -> c.cancel("done", null));
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  /** Reads a message to its end and yields its size. */
  private static final class Counter implements MethodDescriptor.Marshaller<Long> {
    @Override
    public InputStream stream(Long value) {
      throw new UnsupportedOperationException("receive only");
    }

    @Override
    public Long parse(InputStream stream) {
      try {
        return stream.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
