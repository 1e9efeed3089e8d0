package io.gitstratum.coordinator.facade.it;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.schema.codec.RecordCodec;
import io.gitstratum.coordinator.schema.compat.IncompatibleSchemaException;
import io.gitstratum.coordinator.schema.compat.SchemaCompatibility;
import io.gitstratum.coordinator.schema.records.SchemaRecord;
import io.gitstratum.coordinator.testkit.EtcdExtension;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("etcd")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SchemaMarkerTest {
  @RegisterExtension
  static final EtcdExtension etcd = EtcdExtension.singleMember();

  @Test
  void refusesAPrefixWrittenByANewerSchema() throws Exception {
    try (FacadeHarness harness = new FacadeHarness(etcd.endpoints())) {
      SchemaRecord newer = SchemaRecord.newBuilder()
          .setSchemaVersion(SchemaCompatibility.CURRENT_VERSION + 1).setWrittenBy("future").build();
      harness.etcd().getKVClient().put(FacadeHarness.bytes(FacadeHarness.keys("newer").schema()),
          io.etcd.jetcd.ByteSequence.from(RecordCodec.encode(newer))).get(5, TimeUnit.SECONDS);
      IncompatibleSchemaException e = assertThrows(IncompatibleSchemaException.class,
          () -> harness.start("newer"));
      assertTrue(e.getMessage().contains("/gitstratum/newer/"), e.getMessage());
      assertTrue(e.getMessage().contains("upgrade the facade"), e.getMessage());
    }
  }
}
