package io.tern.broker.internal;

import io.netty.channel.Channel;
import io.tern.broker.internal.MqttConnection.State;

/**
 * When one {@link MqttConnection} stops and resumes reading its client, for what the broker cannot
 * take yet: a receiving session far behind (its backlog), the broker's outbound bytes over the high
 * water mark ({@link OutboundMemory}), and this client's own answers it does not read. Owns those
 * pauses, and what this channel's unwritten outbound bytes count in {@link OutboundMemory}. A pause
 * for an asynchronous hook is the connection's ({@code held}), which {@link #readIfFree} respects.
 * One per connection, made when its handler is added; runs on the channel's event loop, except
 * {@link #memoryRoom} and {@link #resumeReading}, which any thread may call (they hand over to the
 * loop).
 */
final class ReadThrottle {
  private final MqttConnection conn;
  private final Channel channel;
  private final BrokerCore core;
  private boolean pausedByBacklog;
  /**
   * Not read because this client does not read what it asked for: the channel's outbound buffer
   * holds more than {@link #UNREAD_ANSWERS_PAUSE} (answers: acks, PINGRESPs, which are written
   * whatever the socket takes; deliveries stop at the channel's high water mark, 256 KiB, so they
   * never get there). Without this pause, a client that sends and never reads made the broker
   * buffer every answer: 34 MB of PINGREQs held 2.4 GB of heap. Read again once writable.
   */
  private boolean pausedByOutbound;
  static final long UNREAD_ANSWERS_PAUSE = 1024 * 1024;
  /** Registered with {@link OutboundMemory} to be resumed below the low water mark (once at a time). */
  private boolean waitingForMemory;
  /** Bytes of this channel's outbound buffer counted in {@link OutboundMemory} while it is unwritable. */
  private long unwrittenCounted;

  ReadThrottle(MqttConnection conn, Channel channel, BrokerCore core) {
    this.conn = conn;
    this.channel = channel;
    this.core = core;
  }

  /**
   * At the end of a read, after its flush: pauses reading while this client does not read its
   * answers, or for {@code behind}, a session this read handed messages to that is far behind (null: none).
   */
  void afterRead(Session behind) {
    if (!channel.isWritable() && !pausedByOutbound && conn.state == State.CONNECTED) {
      io.netty.channel.ChannelOutboundBuffer unread = channel.unsafe().outboundBuffer();
      if (unread != null && unread.totalPendingWriteBytes() > UNREAD_ANSWERS_PAUSE) {
        pausedByOutbound = true;
        channel.config().setAutoRead(false);
      }
    }
    if (behind != null && conn.state == State.CONNECTED && !awaitsOwnAcks()) {
      // A receiving session's loop is far behind, or the broker holds more than its outbound high
      // water mark and that session's client falls behind: stop reading from this publisher until
      // it has caught up, rather than queue what cannot be delivered.
      pausedByBacklog = true;
      channel.config().setAutoRead(false);
      if (!waitingForMemory && core.memory().over()) {
        waitingForMemory = true;
        core.memory().resumeBelowLowMark(conn);
      }
      behind.resumeWhenCaughtUp(this::resumeReading);
    }
  }

  /**
   * Whether this client's own session waits for its acknowledgements (QoS 1 and 2 messages in
   * flight to it): then it is not paused for another session's backlog, since its PUBACKs and
   * PUBRECs come in the reads a pause stops. Paused, its session could not catch up either, and
   * would pause its own publishers in turn: two clients publishing to each other stopped both, and
   * over the high water mark each session, taking nothing, turned stalled after {@code
   * outbound_stall_timeout} and dropped what its connected client was there to take. A publisher
   * that also subscribes thus goes on into a lagging session's queue, which stays within its own
   * bounds ({@code max_queued_messages}, {@code max_queued_bytes}).
   */
  private boolean awaitsOwnAcks() {
    Session own = conn.session;
    return own != null && own.inflightSize > 0;
  }

  /** The broker's buffered outbound bytes fell below the low water mark. Any thread. */
  void memoryRoom() {
    channel.eventLoop().execute(() -> {
      waitingForMemory = false;
      endBacklogPause();
    });
  }

  /** Resumes reading after a pause for a session's backlog. Any thread. */
  void resumeReading() {
    channel.eventLoop().execute(this::endBacklogPause);
  }

  /**
   * Ends a pause for another session's backlog. On the loop: from {@link #memoryRoom} and {@link
   * #resumeReading}, and when this client's own session has just sent it QoS 1 or 2 messages (no
   * pause begins while they are in flight, {@link #awaitsOwnAcks}: two clients publishing to each
   * other could otherwise each be paused for the other's session, which waits for the paused one's
   * acknowledgements).
   */
  void endBacklogPause() {
    if (pausedByBacklog) {
      pausedByBacklog = false;
      conn.lastReadNanos = System.nanoTime(); // the keep alive counts from the end of the pause
      if (conn.turnEnded()) {
        conn.nextTurn(); // the rest of its read waited for this pause to end
      } else {
        readIfFree();
      }
    }
  }

  /** Whether reading is paused for a receiving session behind ({@link #afterRead}). */
  boolean pausedByBacklog() {
    return pausedByBacklog;
  }

  /**
   * The channel turned writable or unwritable: counts or uncounts its unwritten bytes, and reads
   * again after a pause for unread answers once writable. Returns whether it is writable.
   */
  boolean writabilityChanged() {
    countUnwritten();
    boolean writable = channel.isWritable();
    if (writable && pausedByOutbound) {
      pausedByOutbound = false;
      conn.lastReadNanos = System.nanoTime(); // the keep alive counts from the end of the pause
      readIfFree();
    }
    return writable;
  }

  /**
   * Whether reading is paused for others' sake (a receiving session behind, the broker's memory,
   * an asynchronous hook's answer: {@code held}): then the client is not idle and its keep alive
   * waits (a hook slower than 1.5 keep alives closed the connection of a client pinging on time).
   * Not for a pause for its own unread answers: a client that reads nothing for 1.5 keep alives is
   * gone as far as the broker can tell, and each such connection held ~1 MiB of buffers and the
   * kernel's send buffer for as long as it liked (found by a transport probe: 100 of them, +106 MB
   * RSS, none closed after 60 s).
   */
  boolean pausedForOthers() {
    return pausedByBacklog || conn.held;
  }

  /**
   * Turns reading back on unless something still holds it: a hook's answer, a receiving session's
   * backlog, or this client's own unread answers.
   */
  void readIfFree() {
    // Not after the client's end of input: there is nothing more to read, and epoll refuses the change.
    if (conn.state == State.CONNECTED && !conn.closing && !conn.held && !pausedByBacklog && !pausedByOutbound
        && !conn.inputEnded) {
      channel.config().setAutoRead(true);
    }
  }

  /**
   * What a slow socket has not taken counts in the broker's buffered outbound bytes from when its
   * channel turns unwritable until it is writable again (events that come for both changes); a
   * writable channel holds less than its low water mark.
   */
  private void countUnwritten() {
    if (!channel.isWritable()) {
      if (unwrittenCounted == 0) {
        io.netty.channel.ChannelOutboundBuffer b = channel.unsafe().outboundBuffer();
        // Less the payloads shared with other sockets: those count once, as their copy (SharedPayloads).
        unwrittenCounted = b == null ? 0 : Math.max(0, b.totalPendingWriteBytes() - conn.writer.sharedUnwritten());
        core.memory().add(unwrittenCounted);
      }
    } else if (unwrittenCounted != 0) {
      core.memory().add(-unwrittenCounted);
      unwrittenCounted = 0;
    }
  }

  /** The connection closed: its unwritten bytes leave the count, and it no longer waits for memory. */
  void closed() {
    if (unwrittenCounted != 0) {
      core.memory().add(-unwrittenCounted);
      unwrittenCounted = 0;
    }
    if (waitingForMemory) {
      core.memory().forget(conn);
    }
  }
}
