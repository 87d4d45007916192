package io.tern.bench;

import java.util.BitSet;

/**
 * What one subscriber got of one publisher's stream: which sequence numbers arrived, how many came
 * twice and how many came after a later one. Owned by the subscriber's event loop.
 */
final class StreamTracker {
  /**
   * Sequence numbers at or above this are refused as corrupt rather than tracked, so a broker that
   * mangles payloads cannot make the bit set grow past 32 MiB.
   */
  static final int MAX_SEQ = 1 << 28;

  private final BitSet seen = new BitSet();
  private int highest = -1;
  private long unique;
  private long duplicates;
  private long outOfOrder;

  /** Records a delivery; true when it is the first of this sequence number. */
  boolean record(int seq) {
    if (seen.get(seq)) {
      duplicates++;
      return false;
    }
    seen.set(seq);
    unique++;
    if (seq < highest) {
      outOfOrder++;
    } else {
      highest = seq;
    }
    return true;
  }

  /** How many of the sequence numbers {@code from..to} (both included) never arrived. */
  long missing(int from, int to) {
    if (from < 0 || to < from) {
      return 0;
    }
    long got = 0;
    for (int i = seen.nextSetBit(from); i >= 0 && i <= to; i = seen.nextSetBit(i + 1)) {
      got++;
    }
    return (long) to - from + 1 - got;
  }

  long unique() {
    return unique;
  }

  long duplicates() {
    return duplicates;
  }

  long outOfOrder() {
    return outOfOrder;
  }
}
