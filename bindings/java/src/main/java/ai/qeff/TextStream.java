package ai.qeff;

import ai.qeff.internal.QeffNative;
import ai.qeff.internal.qeff_stream_event;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A generation pulled piece by piece ({@code qeff_stream}): each step runs the
 * model as needed (one prefill chunk or decode step). As an
 * {@code Iterator<String>} it yields the non-empty text pieces of every row in
 * order; {@link #nextEvent()} gives every event with its row, token id and
 * whether the row finished. {@link #cancel()} may be called from any thread;
 * the iteration then ends and {@link #result()} holds what was generated.
 * {@link #close()} cancels and frees the stream (waiting for a {@code next}
 * running on another thread, whose iteration then ends). The stream does not depend on the program or
 * request it came from.
 *
 * <pre>{@code
 * try (TextStream s = program.stream("Hello", new Options().maxNewTokens(16))) {
 *   for (String piece : s) System.out.print(piece);
 *   GenerationResult r = s.result();
 * }
 * }</pre>
 */
public final class TextStream extends NativeHandle implements Iterator<String>, Iterable<String> {
  private final qeff_stream_event event = new qeff_stream_event();
  private StreamEvent pending;
  private boolean ended;
  private volatile boolean cancelled;

  TextStream(long handle) {
    super(handle, QeffNative::qeff_stream_free);
  }

  /** The next event, or null once the stream has ended (or was cancelled). */
  public synchronized StreamEvent nextEvent() {
    if (pending != null) {
      StreamEvent e = pending;
      pending = null;
      return e;
    }
    return pull();
  }

  private StreamEvent pull() {
    if (ended) {
      return null;
    }
    StreamEvent e;
    try {
      e = with(h -> {
        QeffNative.qeff_stream_next(h, event);
        if (event.getHas_event() == 0) {
          return null;
        }
        return new StreamEvent((int) event.getRow(), event.getToken(), Utf8.string(event.text_bytes()),
            event.getRow_finished() != 0);
      });
    } catch (QeffException ex) {
      if (ex.status() != Status.CANCELLED) {
        throw ex;
      }
      cancelled = true;
      e = null;
    } catch (IllegalStateException closed) {
      // close() on another thread (which cancels) ends the iteration.
      cancelled = true;
      e = null;
    }
    if (e == null) {
      ended = true;
    }
    return e;
  }

  /** Whether another non-empty text piece follows (runs the model until one does). */
  @Override
  public synchronized boolean hasNext() {
    while (pending == null || pending.text().isEmpty()) {
      pending = pull();
      if (pending == null) {
        return false;
      }
    }
    return true;
  }

  /** The next non-empty text piece. */
  @Override
  public synchronized String next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream has ended");
    }
    String text = pending.text();
    pending = null;
    return text;
  }

  /** This stream, for a for-each loop (it can be iterated once). */
  @Override
  public Iterator<String> iterator() {
    return this;
  }

  /** Every event (empty texts included) as an Iterable, for a for-each loop. */
  public Iterable<StreamEvent> events() {
    return () -> new Iterator<>() {
      private StreamEvent next;

      @Override
      public boolean hasNext() {
        if (next == null) {
          next = nextEvent();
        }
        return next != null;
      }

      @Override
      public StreamEvent next() {
        if (!hasNext()) {
          throw new NoSuchElementException("the stream has ended");
        }
        StreamEvent e = next;
        next = null;
        return e;
      }
    };
  }

  /**
   * Asks the stream to stop: the open rows end as {@link FinishReason#CANCELLED}
   * at the next step. Thread-safe; may be called while another thread is in
   * {@link #next()}; harmless after the end or after {@link #close()}.
   */
  public void cancel() {
    cancelled = true;
    try {
      run(QeffNative::qeff_stream_cancel);
    } catch (IllegalStateException closed) {
      // already closed: nothing to cancel
    }
  }

  /** Whether {@link #cancel()} was called. */
  public boolean isCancelled() {
    return cancelled;
  }

  /**
   * What was generated, once the stream has ended (also after a cancel).
   *
   * @throws QeffException STATE before the end
   */
  public GenerationResult result() {
    long handle = with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_stream_result(h, out);
      return out[0];
    });
    try (Result r = new Result(handle)) {
      return r.toGenerationResult();
    }
  }

  /** Cancels the generation if it is still running and frees the stream. Idempotent. */
  @Override
  public void close() {
    if (!isClosed()) {
      try {
        run(QeffNative::qeff_stream_cancel);
      } catch (IllegalStateException closed) {
        // closed concurrently
      }
    }
    super.close();
    event.delete();
  }
}
