package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  @ParameterizedTest
  @CsvSource({
      "localhost:9000, localhost, 9000, localhost:9000",
      "coord-0, coord-0, 9000, coord-0:9000",
      "10.0.0.1:1234, 10.0.0.1, 1234, 10.0.0.1:1234",
      "[::1]:9001, ::1, 9001, [::1]:9001",
      "[fe80::1], fe80::1, 9000, [fe80::1]:9000",
      "'  host:1 ', host, 1, host:1",
  })
  void parses(String text, String host, int port, String printed) {
    Endpoint e = Endpoint.parse(text);
    assertEquals(new Endpoint(host, port), e);
    assertEquals(printed, e.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ":9000", "host:", "host:x", "host:0", "host:70000", "[::1", "[::1]x"})
  void rejects(String text) {
    assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text));
  }

  @Test
  void dnsSpecsExpandToEveryAddressAndOthersStayAsGiven() throws UnknownHostException {
    InetAddress a = InetAddress.getByAddress("coord", new byte[] {10, 0, 0, 1});
    InetAddress b = InetAddress.getByAddress("coord", new byte[] {10, 0, 0, 2});
    EndpointResolver resolver = new EndpointResolver(host -> {
      if (host.equals("coord.svc")) {
        return new InetAddress[] {a, b};
      }
      throw new UnknownHostException(host);
    });
    assertEquals(List.of(new Endpoint("10.0.0.1", 9100), new Endpoint("10.0.0.2", 9100),
            new Endpoint("other", 9000)),
        resolver.resolve(List.of("dns:///coord.svc:9100", "other:9000", "dns:///gone:1")));
    assertEquals(List.of("a:1", "b:2"), EndpointResolver.splitSpecs(" a:1, ,b:2,"));
    assertThrows(IllegalArgumentException.class, () -> resolver.resolve(List.of()));
    assertThrows(IllegalArgumentException.class, () -> resolver.resolve(List.of("dns:///x:y")));
  }
}
