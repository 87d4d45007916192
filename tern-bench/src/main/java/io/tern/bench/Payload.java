package io.tern.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The bytes every benchmark message starts with, big-endian: the send time ({@link System#nanoTime()}
 * of the generator's JVM, 8 bytes), the publisher id (4 bytes) and that publisher's sequence number
 * (4 bytes, from 0). The rest of the payload is zeros.
 *
 * <p>The subscriber runs in the same JVM as the publishers, so the two clocks are one.
 */
final class Payload {
  /** The smallest payload: the header alone. */
  static final int HEADER_SIZE = 16;

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  private Payload() {}

  static void stamp(byte[] payload, long sendNanos, int publisher, int seq) {
    LONG.set(payload, 0, sendNanos);
    INT.set(payload, 8, publisher);
    INT.set(payload, 12, seq);
  }

  static long sendNanos(byte[] payload) {
    return (long) LONG.get(payload, 0);
  }

  static int publisher(byte[] payload) {
    return (int) INT.get(payload, 8);
  }

  static int seq(byte[] payload) {
    return (int) INT.get(payload, 12);
  }
}
