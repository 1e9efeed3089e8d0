package io.gitstratum.coordinator.facade.watch;

import io.gitstratum.coordinator.proto.TopologyUpdate;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;

/**
 * A server stream that records what it is sent, ready unless told otherwise. Its client can go
 * away ({@link #cancel}), and anything sent after the stream ended fails the test.
 */
final class FakeStream extends ServerCallStreamObserver<TopologyUpdate> {
  final List<TopologyUpdate> sent = new ArrayList<>();
  boolean ready = true;
  boolean readyAfterSending = true;
  Throwable error;
  /** Runs after each message is recorded, on the sending thread. */
  Runnable afterSend = () -> {};
  private boolean cancelled;
  private Runnable onReady = () -> {};
  private Runnable onCancel = () -> {};

  void becomeReady() {
    ready = true;
    onReady.run();
  }

  /** The client goes away: gRPC runs the cancel handler. */
  void cancel() {
    cancelled = true;
    onCancel.run();
  }

  @Override
  public void onNext(TopologyUpdate value) {
    if (cancelled || error != null) {
      throw new AssertionError("sent after the stream ended: " + value);
    }
    sent.add(value);
    ready = readyAfterSending;
    afterSend.run();
  }

  @Override
  public void onError(Throwable t) {
    if (cancelled || error != null) {
      throw new AssertionError("ended twice", t);
    }
    error = t;
  }

  @Override
  public void onCompleted() {}

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public void setOnReadyHandler(Runnable onReadyHandler) {
    onReady = onReadyHandler;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void setOnCancelHandler(Runnable onCancelHandler) {
    onCancel = onCancelHandler;
  }

  @Override
  public void setCompression(String compression) {}

  @Override
  public void disableAutoInboundFlowControl() {}

  @Override
  public void request(int count) {}

  @Override
  public void setMessageCompression(boolean enable) {}
}
