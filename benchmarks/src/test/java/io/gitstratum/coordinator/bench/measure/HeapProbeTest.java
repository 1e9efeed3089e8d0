package io.gitstratum.coordinator.bench.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Reading the used heap out of jcmd's GC.heap_info, whatever the collector. */
class HeapProbeTest {
  @Test
  void serialCountsEveryGenerationAndNotMetaspace() throws IOException {
    // The pinned replica's collector: the young generation first, nearly empty after a full GC.
    String serial = """
        12345:
         def new generation   total 39296K, used 2301K [0x00000000c0000000, 0x00000000c2aa0000)
          eden space 34944K,   6% used [0x00000000c0000000, 0x00000000c023f4e8, 0x00000000c2220000)
          from space 4352K,   0% used [0x00000000c2660000, 0x00000000c2660000, 0x00000000c2aa0000)
         tenured generation   total 262144K, used 120000K [0x00000000c2aa0000, 0x00000000d2aa0000)
           the space 262144K,  45% used [0x00000000c2aa0000, 0x00000000c9f0e000, 0x00000000d2aa0000)
         Metaspace       used 61234K, committed 62000K, reserved 1114112K
          class space    used 7000K, committed 7300K, reserved 1048576K
        """;
    assertEquals((2301L + 120000L) * 1024, HeapProbe.usedBytes(serial));
  }

  @Test
  void g1HasOneLineForTheWholeHeap() throws IOException {
    String g1 = """
        12345:
         garbage-first heap   total 1048576K, used 130001K [0x00000000c0000000, 0x0000000100000000)
          region size 1024K, 2 young (2048K), 0 survivors (0K)
         Metaspace       used 61234K, committed 62000K, reserved 1114112K
        """;
    assertEquals(130001L * 1024, HeapProbe.usedBytes(g1));
  }

  @Test
  void anAnswerWithoutHeapSpacesIsAnError() {
    assertThrows(IOException.class, () -> HeapProbe.usedBytes("12345:\nno such thing\n"));
  }
}
