package io.gitstratum.coordinator.facade.config;

import static io.gitstratum.coordinator.facade.config.CommandLines.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class FacadeCommandTest {
  @Test
  void etcdEndpointsWithoutASchemeAreTakenAsEtcdctlTakesThem() {
    assertEquals(List.of("http://127.0.0.1:2379", "http://etcd-1:2379"),
        parse("--etcd-endpoints", "127.0.0.1:2379,http://etcd-1:2379").etcdEndpoints());
    assertEquals(List.of("https://etcd-0:2379"),
        parse("--etcd-endpoints", "etcd-0:2379", "--etcd-ca", "ca.pem").etcdEndpoints());
  }
}
