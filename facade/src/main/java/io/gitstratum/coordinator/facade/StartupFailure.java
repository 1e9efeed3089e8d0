package io.gitstratum.coordinator.facade;

import java.net.BindException;
import java.util.ArrayList;
import java.util.List;

/** A start-up failure as one line: each distinct message along the cause chain, outermost first. */
final class StartupFailure {
  private StartupFailure() {}

  static String describe(Throwable failure) {
    List<String> parts = new ArrayList<>();
    for (Throwable t = failure; t != null && parts.size() < 4; t = t.getCause()) {
      String message = t instanceof BindException
          ? "a port is already in use (" + t.getMessage() + "): another facade running?"
          : t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      if (parts.stream().noneMatch(p -> p.contains(message))) {
        parts.add(message);
      }
    }
    return String.join(": ", parts);
  }
}
