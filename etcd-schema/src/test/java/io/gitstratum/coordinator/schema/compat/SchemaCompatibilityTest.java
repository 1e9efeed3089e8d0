package io.gitstratum.coordinator.schema.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitstratum.coordinator.schema.records.SchemaRecord;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SchemaCompatibilityTest {
  @Test
  void emptyPrefixGetsAMarker() {
    assertEquals(SchemaCompatibility.Decision.WRITE_MARKER,
        SchemaCompatibility.check("/p/", Optional.empty()));
  }

  @Test
  void currentSchemaIsCompatible() {
    SchemaRecord marker = SchemaRecord.newBuilder()
        .setSchemaVersion(SchemaCompatibility.CURRENT_VERSION).build();
    assertEquals(SchemaCompatibility.Decision.COMPATIBLE,
        SchemaCompatibility.check("/p/", Optional.of(marker)));
  }

  @Test
  void newerSchemaIsRefusedWithAClearMessage() {
    SchemaRecord marker = SchemaRecord.newBuilder()
        .setSchemaVersion(SchemaCompatibility.CURRENT_VERSION + 1).setWrittenBy("facade-9").build();
    IncompatibleSchemaException e = assertThrows(IncompatibleSchemaException.class,
        () -> SchemaCompatibility.check("/p/", Optional.of(marker)));
    assertTrue(e.getMessage().contains("schema version 2"), e.getMessage());
    assertTrue(e.getMessage().contains("facade-9"), e.getMessage());
  }

  @Test
  void zeroVersionIsRefused() {
    assertThrows(IncompatibleSchemaException.class,
        () -> SchemaCompatibility.check("/p/", Optional.of(SchemaRecord.getDefaultInstance())));
  }
}
