package io.gitstratum.coordinator.testkit;

import io.gitstratum.coordinator.testkit.ModeSwitch.Mode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;

/**
 * One direction of a proxied connection: a reader thread that takes bytes from the source socket
 * into a queue, and a writer thread that delivers them to the sink socket when the current
 * {@link Mode} lets them go.
 *
 * <p>The queue is what makes a delay possible without reordering: every chunk is stamped when it
 * arrives and leaves strictly in arrival order, so a mode change can shorten or lengthen the wait
 * of queued chunks but never let a later chunk overtake an earlier one.
 *
 * <p>In a black hole the reader stops calling {@code read}: the bytes stay in the kernel's
 * socket buffers and TCP flow control pushes back on the sender, so holding costs no memory here
 * beyond the one chunk that may have been in flight when the hole opened. The queue is bounded
 * for the same reason in delay mode.
 *
 * <p>All state is guarded by the proxy's {@link ModeSwitch#lock}; socket I/O is never done
 * while holding it. Termination is driven by the owning {@link ProxiedConnection}: it calls
 * {@link #stopLocked()} and then closes the sockets, which unblocks any read or write.
 */
final class Pipe {

  /** Told how a pipe ended; called without the lock held. */
  interface Owner {
    /** The source reached end of stream and everything before it was delivered. */
    void drained(Pipe pipe);

    /** Reading or writing failed (or the thread was interrupted). */
    void failed(Pipe pipe, Exception cause);
  }

  /** Matches a typical socket buffer; gRPC frames larger than this simply take several chunks. */
  private static final int CHUNK_BYTES = 16 * 1024;

  /** Beyond this the reader waits, so a long delay cannot buffer an unbounded response stream. */
  private static final long MAX_QUEUED_BYTES = 4L * 1024 * 1024;

  /** Bytes with their arrival time; {@code bytes == null} marks the source's end of stream. */
  private record Chunk(byte[] bytes, long arrivedNanos) {
    boolean isEndOfStream() {
      return bytes == null;
    }

    int length() {
      return bytes == null ? 0 : bytes.length;
    }
  }

  private final String name;
  private final InputStream source;
  private final Socket sink;
  private final OutputStream sinkStream;
  private final boolean responseDirection;
  private final ModeSwitch modes;
  private final Condition changed;
  private final Owner owner;

  private final ArrayDeque<Chunk> queue = new ArrayDeque<>(); // guarded by modes.lock
  private long queuedBytes; // guarded by modes.lock
  private boolean stopped; // guarded by modes.lock

  /**
   * @param responseDirection true for target-to-client, the only direction a response delay
   *     applies to
   */
  Pipe(
      String name,
      Socket source,
      Socket sink,
      boolean responseDirection,
      ModeSwitch modes,
      Owner owner)
      throws IOException {
    this.name = name;
    this.source = source.getInputStream();
    this.sink = sink;
    this.sinkStream = sink.getOutputStream();
    this.responseDirection = responseDirection;
    this.modes = modes;
    this.owner = owner;
    this.changed = modes.register();
  }

  void start() {
    FaultProxy.startDaemon(name + "-read", this::readLoop);
    FaultProxy.startDaemon(name + "-write", this::writeLoop);
  }

  /** Assumes the lock is held. Drops whatever is queued and lets both threads finish. */
  void stopLocked() {
    if (stopped) {
      return;
    }
    stopped = true;
    queue.clear();
    queuedBytes = 0;
    changed.signalAll();
    modes.unregister(changed); // reentrant: the caller already holds the lock
  }

  /** Assumes the lock is held. Bytes read from the source and not yet handed to the sink. */
  long queuedBytesLocked() {
    return queuedBytes;
  }

  private void readLoop() {
    byte[] buffer = new byte[CHUNK_BYTES];
    try {
      while (awaitReadable()) {
        int count = source.read(buffer);
        byte[] bytes = count < 0 ? null : Arrays.copyOf(buffer, count);
        if (!enqueue(bytes) || bytes == null) {
          return;
        }
      }
    } catch (IOException e) {
      owner.failed(this, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      owner.failed(this, e);
    }
  }

  private void writeLoop() {
    try {
      for (Chunk chunk = awaitDue(); chunk != null; chunk = awaitDue()) {
        if (chunk.isEndOfStream()) {
          // Forward a half-close as a half-close: the peer may still be sending the other way.
          sink.shutdownOutput();
          owner.drained(this);
          return;
        }
        sinkStream.write(chunk.bytes());
        sinkStream.flush();
      }
    } catch (IOException e) {
      owner.failed(this, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      owner.failed(this, e);
    }
  }

  /** Waits until reading is allowed; false once the pipe is stopped. */
  private boolean awaitReadable() throws InterruptedException {
    modes.lock.lock();
    try {
      while (!stopped && (modes.modeLocked().holds() || queuedBytes >= MAX_QUEUED_BYTES)) {
        changed.await();
      }
      return !stopped;
    } finally {
      modes.lock.unlock();
    }
  }

  private boolean enqueue(byte[] bytes) {
    // Stamped before taking the lock: the delay counts from arrival, not from lock acquisition.
    long arrivedNanos = System.nanoTime();
    modes.lock.lock();
    try {
      if (stopped) {
        return false;
      }
      Chunk chunk = new Chunk(bytes, arrivedNanos);
      queue.addLast(chunk);
      queuedBytes += chunk.length();
      changed.signalAll();
      return true;
    } finally {
      modes.lock.unlock();
    }
  }

  /**
   * Waits until the oldest chunk may leave and takes it; null once the pipe is stopped. The delay
   * is the one in force now, not at arrival, so switching to pass releases queued chunks at once
   * (still in order) instead of making them serve out an old delay.
   */
  private Chunk awaitDue() throws InterruptedException {
    modes.lock.lock();
    try {
      while (!stopped) {
        Chunk head = queue.peekFirst();
        Mode mode = modes.modeLocked();
        if (head == null || mode.holds()) {
          changed.await();
          continue;
        }
        // Elapsed time, not a deadline: nanoTime values may wrap, differences do not.
        long elapsed = System.nanoTime() - head.arrivedNanos();
        long remaining = mode.delayNanos(responseDirection) - elapsed;
        if (remaining > 0) {
          changed.awaitNanos(remaining);
          continue;
        }
        queue.removeFirst();
        queuedBytes -= head.length();
        changed.signalAll(); // the reader may be waiting for room in the queue
        return head;
      }
      return null;
    } finally {
      modes.lock.unlock();
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
