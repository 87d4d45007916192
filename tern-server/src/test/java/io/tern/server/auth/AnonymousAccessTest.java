package io.tern.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AnonymousAccessTest {
  private static InetSocketAddress at(String ip) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(ip), 40000);
  }

  @Test
  void localhostAllowsLoopbackAddressesOnly() throws Exception {
    AnonymousAccess a = AnonymousAccess.LOCALHOST;
    assertThat(a.allows(at("127.0.0.1"))).isTrue();
    assertThat(a.allows(at("127.8.9.10"))).isTrue();
    assertThat(a.allows(at("::1"))).isTrue();
    assertThat(a.allows(at("10.0.0.1"))).isFalse();
    assertThat(a.allows(at("192.168.1.20"))).isFalse();
    assertThat(a.allows(at("2001:db8::1"))).isFalse();
    assertThat(a.allows(at("0.0.0.0"))).isFalse();
    assertThat(a.allows(InetSocketAddress.createUnresolved("localhost", 1))).as("unresolved").isFalse();
    assertThat(a.allows(null)).isFalse();
  }

  @Test
  void ipv4MappedLoopbackCountsAsLoopback() throws Exception {
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 127, 0, 0, 1};
    java.net.Inet6Address v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);
    assertThat(AnonymousAccess.isLoopback(v6)).isTrue();
    byte[] other = mapped.clone();
    other[12] = 10;
    assertThat(AnonymousAccess.isLoopback(java.net.Inet6Address.getByAddress(null, other, -1))).isFalse();
  }

  @Test
  void trueAndFalseIgnoreTheAddress() throws Exception {
    assertThat(AnonymousAccess.TRUE.allows(at("10.0.0.1"))).isTrue();
    assertThat(AnonymousAccess.FALSE.allows(at("127.0.0.1"))).isFalse();
  }
}
