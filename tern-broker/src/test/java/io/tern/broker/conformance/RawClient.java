package io.tern.broker.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tern.codec.MqttDecodeException;
import io.tern.codec.MqttDecoder;
import io.tern.codec.MqttEncoder;
import io.tern.codec.MqttPacket;
import io.tern.codec.MqttVersion;
import io.tern.codec.PingReq;
import io.tern.codec.PingResp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * A test client that speaks MQTT one byte at a time: it sends raw bytes or packets encoded with
 * {@link MqttEncoder}, and reads back packets decoded with {@link MqttDecoder} (client side, its own
 * protocol version), so a test can say exactly what goes on the wire and what must come back.
 *
 * <p>Every read is bounded: {@link #expectPacket(Duration)} fails when nothing arrives in time,
 * {@link #expectClosed(Duration)} fails when the connection stays open, {@link
 * #expectNothing(Duration)} fails when anything arrives (or the connection closes) in that time.
 * Not thread-safe: one test thread drives it.
 *
 * <pre>{@code
 * try (RawClient c = RawClient.open(broker.port(), MqttVersion.V3_1_1)) {
 *   c.sendHex("10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61"); // CONNECT "a"
 *   c.expectHex("20 02 00 00");                                // CONNACK accepted
 * }
 * }</pre>
 */
final class RawClient implements AutoCloseable {
  /** How long a read waits when the test does not say. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final MqttVersion version;
  private final String name;
  private final ByteBuf received = Unpooled.buffer();
  private final byte[] chunk = new byte[64 * 1024];
  private boolean eof;

  private RawClient(Socket socket, MqttVersion version, String name) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
    this.name = name;
  }

  /** Opens a TCP connection to the broker on 127.0.0.1. Nothing is sent yet. */
  static RawClient open(int port, MqttVersion version, String name) {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), (int) DEFAULT_TIMEOUT.toMillis());
      return new RawClient(s, version, name);
    } catch (IOException e) {
      closeQuietly(s);
      throw new AssertionError("cannot connect to 127.0.0.1:" + port, e);
    }
  }

  MqttVersion version() {
    return version;
  }

  String name() {
    return name;
  }

  // ------------------------------------------------------------------ sending

  /** Encodes the packet for this client's protocol version and sends it. */
  RawClient send(MqttPacket packet) {
    return sendBytes(Packets.bytes(packet, version));
  }

  /** Sends bytes given as hex, spaces allowed: {@code "c0 00"}. */
  RawClient sendHex(String hex) {
    return sendBytes(hex(hex));
  }

  RawClient sendBytes(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      return this;
    } catch (IOException e) {
      throw new AssertionError(name + ": send failed", e);
    }
  }

  // ------------------------------------------------------------------ receiving

  /** The next packet, waiting at most {@link #DEFAULT_TIMEOUT}. */
  MqttPacket expectPacket() {
    return expectPacket(DEFAULT_TIMEOUT);
  }

  /** The next packet, waiting at most {@code timeout}; fails on timeout or close. */
  MqttPacket expectPacket(Duration timeout) {
    Object r = next(timeout);
    if (r instanceof MqttPacket p) {
      return p;
    }
    throw new AssertionError(name + ": expected a packet within " + timeout.toMillis() + " ms, but " + r);
  }

  /** The next packet, which must be of this type. */
  <T extends MqttPacket> T expect(Class<T> type) {
    return expect(type, DEFAULT_TIMEOUT);
  }

  <T extends MqttPacket> T expect(Class<T> type, Duration timeout) {
    MqttPacket p = expectPacket(timeout);
    assertThat(p).as(name + ": next packet").isInstanceOf(type);
    return type.cast(p);
  }

  /** The next packet, which must equal {@code expected} (records: every field, payload included). */
  RawClient expect(MqttPacket expected) {
    assertThat(expectPacket()).as(name + ": next packet").isEqualTo(expected);
    return this;
  }

  /** The next bytes on the wire, which must be exactly these (hex, spaces allowed). */
  RawClient expectHex(String hex) {
    byte[] want = hex(hex);
    long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
    while (received.readableBytes() < want.length) {
      Outcome o = fill(deadline);
      if (o != Outcome.DATA) {
        throw new AssertionError(name + ": expected bytes " + hex + " but got "
            + ByteBufUtil.hexDump(received) + " then " + o.text);
      }
    }
    byte[] got = new byte[want.length];
    received.readBytes(got);
    received.discardReadBytes();
    assertThat(HexFormat.ofDelimiter(" ").formatHex(got)).as(name + ": bytes received")
        .isEqualTo(HexFormat.ofDelimiter(" ").formatHex(want));
    return this;
  }

  /** The broker closes the connection within {@link #DEFAULT_TIMEOUT}, sending nothing first. */
  void expectClosed() {
    expectClosed(DEFAULT_TIMEOUT);
  }

  /** The broker closes the connection within {@code timeout}, sending nothing first. */
  void expectClosed(Duration timeout) {
    Object r = next(timeout);
    if (r != Outcome.CLOSED) {
      throw new AssertionError(name + ": expected the connection to be closed within "
          + timeout.toMillis() + " ms, but " + (r instanceof MqttPacket ? "received " + r : r));
    }
    if (received.isReadable()) {
      throw new AssertionError(name + ": connection closed after a partial packet " + ByteBufUtil.hexDump(received));
    }
  }

  /**
   * The broker closes the connection within {@link #DEFAULT_TIMEOUT}, perhaps after packets sent
   * before it decided to (they are read and dropped).
   */
  void expectClosedAfterPendingPackets() {
    long deadline = System.nanoTime() + DEFAULT_TIMEOUT.toNanos();
    Object r;
    do {
      r = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    } while (r instanceof MqttPacket);
    if (r != Outcome.CLOSED) {
      throw new AssertionError(name + ": expected the connection to be closed, but " + r);
    }
  }

  /** Nothing arrives and the connection stays open for {@code duration}. */
  void expectNothing(Duration duration) {
    Object r = next(duration);
    if (r != Outcome.TIMEOUT) {
      throw new AssertionError(name + ": expected nothing for " + duration.toMillis() + " ms, but "
          + (r instanceof MqttPacket ? "received " + r : r));
    }
  }

  /**
   * A round trip that proves the connection is open and everything sent to it before has arrived:
   * PINGREQ, then the next packet must be the PINGRESP.
   */
  RawClient ping() {
    send(PingReq.INSTANCE);
    MqttPacket p = expectPacket();
    assertThat(p).as(name + ": answer to PINGREQ").isEqualTo(PingResp.INSTANCE);
    return this;
  }

  private enum Outcome {
    DATA("data arrived"), CLOSED("the connection was closed"), TIMEOUT("nothing arrived");

    final String text;

    Outcome(String text) {
      this.text = text;
    }
  }

  /** A decoded packet, or {@link Outcome#CLOSED} / {@link Outcome#TIMEOUT}. */
  private Object next(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (received.isReadable()) {
        MqttPacket p;
        try {
          p = MqttDecoder.decode(received, version, MqttDecoder.PROTOCOL_MAX_PACKET_SIZE);
        } catch (MqttDecodeException e) {
          throw new AssertionError(name + ": the broker sent a malformed packet: " + e
              + " in " + ByteBufUtil.hexDump(received), e);
        }
        if (p != null) {
          received.discardReadBytes();
          return p;
        }
      }
      Outcome o = fill(deadline);
      if (o != Outcome.DATA) {
        return o;
      }
    }
  }

  /** Reads what is available, waiting until the deadline at most. */
  private Outcome fill(long deadlineNanos) {
    if (eof) {
      return Outcome.CLOSED;
    }
    long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (remainingMs <= 0) {
      return Outcome.TIMEOUT;
    }
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMs));
      int n = in.read(chunk);
      if (n < 0) {
        eof = true;
        return Outcome.CLOSED;
      }
      received.writeBytes(chunk, 0, n);
      return Outcome.DATA;
    } catch (SocketTimeoutException e) {
      return Outcome.TIMEOUT;
    } catch (SocketException e) {
      eof = true; // connection reset: the peer closed with data of ours unread
      return Outcome.CLOSED;
    } catch (IOException e) {
      throw new AssertionError(name + ": read failed", e);
    }
  }

  // ------------------------------------------------------------------ closing

  /** Closes the TCP connection without DISCONNECT, as a network failure would. */
  @Override
  public void close() {
    closeQuietly(socket);
    if (received.refCnt() > 0) {
      received.release();
    }
  }

  /** Shuts this side's output (a FIN, half-closed): nothing more is sent, what the broker sends is still read. */
  void shutdownOutput() {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      throw new AssertionError(name + ": shutdownOutput failed", e);
    }
  }

  boolean isClosed() {
    return socket.isClosed();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }

  @Override
  public String toString() {
    return name;
  }
}
