package io.gitstratum.coordinator.facade.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.facade.FacadeMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class FacadeCommandTest {
  private static FacadeConfig parse(String... args) {
    StringWriter err = new StringWriter();
    FacadeMain.Parsed parsed = FacadeMain.parse(args, new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true));
    assertEquals(0, parsed.exitCode(), err.toString());
    return parsed.config();
  }

  @Test
  void etcdEndpointsWithoutASchemeAreTakenAsEtcdctlTakesThem() {
    assertEquals(List.of("http://127.0.0.1:2379", "http://etcd-1:2379"),
        parse("--etcd-endpoints", "127.0.0.1:2379,http://etcd-1:2379").etcdEndpoints());
    assertEquals(List.of("https://etcd-0:2379"),
        parse("--etcd-endpoints", "etcd-0:2379", "--etcd-ca", "ca.pem").etcdEndpoints());
  }
}
