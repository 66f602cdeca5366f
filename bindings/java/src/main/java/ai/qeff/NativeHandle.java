package ai.qeff;

import java.lang.ref.Cleaner;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/**
 * Owns one C handle and frees it exactly once: at {@link #close()}, or, as a
 * safety net, when the object becomes unreachable (a {@link Cleaner}). Calls
 * run with the handle under a read lock and {@code close()} takes the write
 * lock, so closing while another thread is inside a call waits for that call
 * instead of freeing memory under it; calls after {@code close()} throw
 * {@link IllegalStateException}. Closing twice is harmless.
 */
abstract class NativeHandle implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  /** The freeing state, kept apart from the owner so the Cleaner can run it. */
  private static final class Freer implements Runnable {
    private long ptr;
    private final LongConsumer free;

    Freer(long ptr, LongConsumer free) {
      this.ptr = ptr;
      this.free = free;
    }

    @Override
    public void run() {
      long p = ptr;
      ptr = 0;
      if (p != 0) {
        free.accept(p);
      }
    }
  }

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Freer freer;
  private final Cleaner.Cleanable cleanable;

  NativeHandle(long ptr, LongConsumer free) {
    if (ptr == 0) {
      throw new IllegalArgumentException("null handle");
    }
    this.freer = new Freer(ptr, free);
    this.cleanable = CLEANER.register(this, freer);
  }

  /** Runs {@code op} with the live handle; the handle cannot be freed meanwhile. */
  final <T> T with(LongFunction<T> op) {
    Lock r = lock.readLock();
    r.lock();
    try {
      if (freer.ptr == 0) {
        throw new IllegalStateException(getClass().getSimpleName() + " is closed");
      }
      return op.apply(freer.ptr);
    } finally {
      r.unlock();
    }
  }

  /** {@link #with} for calls without a result. */
  final void run(LongConsumer op) {
    with(p -> {
      op.accept(p);
      return null;
    });
  }

  /** The handle of an optional argument ({@code null}: 0, i.e. NULL), for nested calls. */
  static <T> T with(NativeHandle h, LongFunction<T> op) {
    return h == null ? op.apply(0) : h.with(op);
  }

  /** Whether {@link #close()} has run. */
  public final boolean isClosed() {
    Lock r = lock.readLock();
    r.lock();
    try {
      return freer.ptr == 0;
    } finally {
      r.unlock();
    }
  }

  /**
   * Frees the C object, after any call running on it on another thread has
   * returned. Idempotent. Must not be called from inside a call on the same
   * object.
   */
  @Override
  public void close() {
    Lock w = lock.writeLock();
    w.lock();
    try {
      cleanable.clean();
    } finally {
      w.unlock();
    }
  }
}
