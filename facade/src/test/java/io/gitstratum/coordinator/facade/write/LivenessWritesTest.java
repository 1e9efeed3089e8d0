package io.gitstratum.coordinator.facade.write;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitstratum.coordinator.facade.core.LivenessEffect;
import io.gitstratum.coordinator.facade.store.KeyWrite;
import java.util.List;
import org.junit.jupiter.api.Test;

class LivenessWritesTest {
  @Test
  void aKeyWrittenTwiceInOneBatchKeepsItsLastWrite() {
    // A lapsed lease re-attached for generation g1, then a new generation registered: etcd
    // keeps the last put of the key, and so must the cache.
    List<KeyWrite> planned = LivenessWrites.plan(List.of(
        new LivenessEffect.AttachAlive("n", "g1"), new LivenessEffect.ClearGrace("n"),
        new LivenessEffect.AttachAlive("n", "g2"), new LivenessEffect.ClearGrace("n")));
    assertEquals(List.of(new KeyWrite.PutAlive("n", "g2", 0), new KeyWrite.DeleteGrace("n")),
        planned);
    assertEquals(List.of(new KeyWrite.PutAlive("n", "g2", 42), new KeyWrite.DeleteGrace("n")),
        LivenessWrites.withLeases(planned, List.of(42L)));
  }

  @Test
  void aLaterDeleteWinsOverAnEarlierPut() {
    List<KeyWrite> planned = LivenessWrites.plan(List.of(
        new LivenessEffect.AttachAlive("n", "g"), new LivenessEffect.StartGrace("m"),
        new LivenessEffect.ClearLiveness("n")));
    assertEquals(List.of(new KeyWrite.PutGrace("m", 0), new KeyWrite.DeleteAlive("n"),
        new KeyWrite.DeleteGrace("n"), new KeyWrite.DeleteDrained("n")), planned);
  }

  @Test
  void differentNodesAndKeysStayApartAndLeasesFollowThePuts() {
    List<KeyWrite> planned = LivenessWrites.plan(List.of(
        new LivenessEffect.AttachAlive("a", "g"), new LivenessEffect.StartGrace("b"),
        new LivenessEffect.AttachAlive("b", "h")));
    assertEquals(List.of(new KeyWrite.PutAlive("a", "g", 1), new KeyWrite.PutGrace("b", 2),
        new KeyWrite.PutAlive("b", "h", 3)),
        LivenessWrites.withLeases(planned, List.of(1L, 2L, 3L)));
  }
}
