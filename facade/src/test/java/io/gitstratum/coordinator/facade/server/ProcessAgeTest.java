package io.gitstratum.coordinator.facade.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessAgeTest {
  @Test
  void startTimeIsTheTwentySecondFieldInClockTicks() {
    // A command name with a space and a parenthesis, as a thread may rename itself.
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 12 3 0 0 20 0 30 0 "
        + "123456 9000000 2000 18446744073709551615";
    assertEquals(1300.0 - 1234.56, ProcessAge.age(stat, 1300.0), 1e-9);
  }

  @Test
  void thisProcessStartedInThePast() {
    String age = ProcessAge.describe();
    assertTrue(age.equals("unknown") || Double.parseDouble(age.replace(" s", "")) > 0, age);
  }
}
