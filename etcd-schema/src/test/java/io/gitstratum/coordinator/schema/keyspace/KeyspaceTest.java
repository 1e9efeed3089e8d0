package io.gitstratum.coordinator.schema.keyspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyspaceTest {
  private final Keyspace keys = Keyspace.of("/gitstratum", "prod-eu");

  @Test
  void buildsTheDocumentedLayout() {
    assertEquals("/gitstratum/prod-eu/", keys.prefix());
    assertEquals("/gitstratum/prod-eu/meta/schema", keys.schema());
    assertEquals("/gitstratum/prod-eu/topology/version", keys.version());
    assertEquals("/gitstratum/prod-eu/topology/ring-config", keys.ringConfig());
    assertEquals("/gitstratum/prod-eu/nodes/obj-1", keys.node("obj-1"));
    assertEquals("/gitstratum/prod-eu/alive/obj-1", keys.alive("obj-1"));
    assertEquals("/gitstratum/prod-eu/grace/obj-1", keys.grace("obj-1"));
    assertEquals("/gitstratum/prod-eu/events/00000000000000000042", keys.event(42));
    assertEquals("/gitstratum/prod-eu/election/detector", keys.detectorElection());
    assertEquals("/gitstratum/prod-eu/facades/r1", keys.facade("r1"));
    assertEquals("/gitstratum/prod-eu/history/00000000000000000042", keys.history(42));
    assertEquals("/gitstratum/prod-eu/detector/pause", keys.detectorPause());
  }

  @Test
  void eventKeysSortInVersionOrder() {
    assertTrue(keys.event(9).compareTo(keys.event(10)) < 0);
    assertTrue(keys.event(99_999).compareTo(keys.event(100_000)) < 0);
    assertThrows(IllegalArgumentException.class, () -> keys.event(0));
  }

  @Test
  void parsesWhatItBuilds() {
    assertEquals(new Key.Version(), keys.parse(keys.version()));
    assertEquals(new Key.CommitMark(), keys.parse(keys.commitMark()));
    assertEquals(new Key.RingConfig(), keys.parse(keys.ringConfig()));
    assertEquals(new Key.Schema(), keys.parse(keys.schema()));
    assertEquals(new Key.Node("a:b.c"), keys.parse(keys.node("a:b.c")));
    assertEquals(new Key.Alive("n"), keys.parse(keys.alive("n")));
    assertEquals(new Key.Grace("n"), keys.parse(keys.grace("n")));
    assertEquals(new Key.Facade("r"), keys.parse(keys.facade("r")));
    assertEquals(new Key.Event(123), keys.parse(keys.event(123)));
    assertEquals(new Key.History(123), keys.parse(keys.history(123)));
    assertEquals(new Key.DetectorPause(), keys.parse(keys.detectorPause()));
    assertEquals(new Key.DetectorEvent(1_733_000_000_000L),
        keys.parse(keys.detectorEvent(1_733_000_000_000L, "0a1b2c3d")));
  }

  @Test
  void detectorEventsSortByTimeAndARangeEndsBeforeATime() {
    String early = keys.detectorEvent(999, "ffffffff");
    String later = keys.detectorEvent(1000, "00000000");
    assertTrue(early.compareTo(later) < 0, early + " before " + later);
    assertTrue(early.compareTo(keys.detectorEventsBefore(1000)) < 0);
    assertTrue(later.compareTo(keys.detectorEventsBefore(1000)) > 0);
    assertTrue(later.startsWith(keys.detectorEventsPrefix() + "00000000000000001000-"), later);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/gitstratum/other/nodes/x", "/gitstratum/prod-eu/nodes/",
      "/gitstratum/prod-eu/events/12", "/gitstratum/prod-eu/history/7",
      "/gitstratum/prod-eu/detector/events/12-ab", "/gitstratum/prod-eu/events/0000000000000000000x",
      "/gitstratum/prod-eu/election/detector/694d7a"})
  void unknownKeysAreOther(String key) {
    assertEquals(new Key.Other(key), keys.parse(key));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gitstratum", "/gitstratum/", "/a//b"})
  void rejectsBadRoots(String root) {
    assertThrows(IllegalArgumentException.class, () -> Keyspace.of(root, "default"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/b", "with space"})
  void rejectsBadClusterNames(String cluster) {
    assertThrows(IllegalArgumentException.class, () -> Keyspace.of("/gitstratum", cluster));
  }
}
