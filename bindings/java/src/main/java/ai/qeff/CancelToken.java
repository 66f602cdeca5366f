package ai.qeff;

import ai.qeff.internal.QeffNative;

/**
 * A cancellation token ({@code qeff_cancel}): stops long calls from another
 * thread. Attach it to the {@link Options} of a call with
 * {@link Options#setCancel(CancelToken)}; the calls that honour it are
 * {@link Model#load}, {@link Tokenizer#load}, {@link Model#compile},
 * {@link Program#compileOnnx}, {@link Model#export}, {@link Program#save},
 * {@link Program#load}, {@link Program#run} (and {@code generate},
 * {@code embed}, {@code scores} built on it) and {@link Program#stream}.
 * After {@link #cancel()} the call stops at its next cancellation point and
 * throws {@link QeffException} with {@link Status#CANCELLED}, leaving no
 * partial files behind; every object it was given stays usable. A call
 * started with the token already requested throws at once; a call that
 * completes before it notices returns normally. A stream created with the
 * token ends as after {@link TextStream#cancel()}.
 *
 * <p>The token stays requested until {@link #reset()}; one request cancels
 * every call using it. All methods are thread-safe. Options keep their own
 * reference to the C token, so closing this object while options or calls
 * still use it is safe (they can then no longer be cancelled by it).
 *
 * <pre>{@code
 * try (CancelToken token = new CancelToken();
 *      Options options = new Options().prefillSeqLen(32).ctxLen(256).setCancel(token)) {
 *   executor.schedule(token::cancel, 30, TimeUnit.SECONDS);  // a timeout
 *   try (Program p = model.compile(options)) {
 *     ...
 *   } catch (QeffException e) {
 *     if (e.status() != Status.CANCELLED) throw e;
 *     token.reset();  // nothing was written; the model is still usable
 *   }
 * }
 * }</pre>
 */
public final class CancelToken extends NativeHandle {
  /** Creates a token, not requested. */
  public CancelToken() {
    super(create(), QeffNative::qeff_cancel_free);
  }

  private static long create() {
    long[] out = new long[1];
    QeffNative.qeff_cancel_create(out);
    return out[0];
  }

  /**
   * Requests cancellation of every call using the token ({@code
   * qeff_cancel_request}). Thread-safe and idempotent; a no-op once the token
   * is closed (a late timer must not fail).
   */
  public void cancel() {
    try {
      run(QeffNative::qeff_cancel_request);
    } catch (IllegalStateException closed) {
      // closed: nothing left to cancel through this object
    }
  }

  /**
   * Clears the request so the token can serve new calls. Calls still running
   * with it may or may not have seen the request.
   *
   * @throws IllegalStateException when the token is closed
   */
  public void reset() {
    run(QeffNative::qeff_cancel_reset);
  }

  /**
   * Whether cancellation is requested (between {@link #cancel()} and {@link #reset()}).
   *
   * @throws IllegalStateException when the token is closed
   */
  public boolean isRequested() {
    return with(h -> {
      int[] out = new int[1];
      QeffNative.qeff_cancel_is_requested(h, out);
      return out[0] != 0;
    });
  }

  @Override
  public String toString() {
    try {
      return "CancelToken[requested=" + isRequested() + "]";
    } catch (IllegalStateException closed) {
      return "CancelToken[closed]";
    }
  }
}
