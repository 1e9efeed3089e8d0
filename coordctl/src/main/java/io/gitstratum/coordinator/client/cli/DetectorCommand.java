package io.gitstratum.coordinator.client.cli;

import io.gitstratum.coordinator.admin.DetectorState;
import io.gitstratum.coordinator.client.failover.AdminClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code coordctl detector status|pause|resume}: the failure detector through the admin service
 * (GetDetectorState, PauseDetector, ResumeDetector). A pause holds SUSPECT→DOWN on every replica
 * until it is resumed; nodes still turn SUSPECT.
 */
@Command(name = "detector", mixinStandardHelpOptions = true,
    description = "Show, pause or resume the failure detector's SUSPECT->DOWN (admin service).",
    subcommands = {DetectorCommand.Status.class, DetectorCommand.Pause.class,
        DetectorCommand.Resume.class})
final class DetectorCommand implements Runnable {
  @ParentCommand
  CoordCtl root;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "missing subcommand: status, pause or resume");
  }

  /** {@code coordctl detector status}. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Show the detector: leader, an operator's pause (by whom, why, since when), "
      + "protected zones, a pause of SUSPECT->DOWN for every zone disrupted, SUSPECT and DOWN "
      + "counts.")
  static final class Status implements Runnable {
    @ParentCommand
    DetectorCommand detector;

    @Override
    public void run() {
      CoordCtl root = detector.root;
      DetectorState state = root.admin(AdminClient::getDetectorState);
      root.spec.commandLine().getOut().print(Formats.detector(state, root.clock));
    }
  }

  /** {@code coordctl detector pause --reason TEXT}. */
  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Pause SUSPECT->DOWN on every replica until 'coordctl detector resume' "
      + "(nodes still turn SUSPECT).")
  static final class Pause implements Runnable {
    @ParentCommand
    DetectorCommand detector;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--reason", required = true, paramLabel = "TEXT",
        description = "Why, recorded with the pause (e.g. \"rack 4 maintenance\").")
    String reason;

    @Override
    public void run() {
      CoordCtl root = detector.root;
      if (reason.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--reason must not be empty");
      }
      DetectorState state = root.admin(admin -> admin.pauseDetector(reason));
      root.spec.commandLine().getOut().printf("SUSPECT->DOWN paused by %s: %s (%d suspect nodes "
          + "wait; 'coordctl detector resume' ends the pause)%n", state.getPausedBy(),
          state.getPauseReason(), state.getSuspectNodes());
    }
  }

  /** {@code coordctl detector resume}. */
  @Command(name = "resume", mixinStandardHelpOptions = true,
      description = "End an operator's pause: SUSPECT->DOWN goes on.")
  static final class Resume implements Runnable {
    @ParentCommand
    DetectorCommand detector;

    @Override
    public void run() {
      CoordCtl root = detector.root;
      // Asked first so that a resume of nothing says so (the answer is the same either way).
      boolean wasPaused = root.admin(AdminClient::getDetectorState).getPaused();
      DetectorState state = root.admin(AdminClient::resumeDetector);
      root.spec.commandLine().getOut().printf("%s (%s SUSPECT, %s DOWN)%n",
          wasPaused ? "SUSPECT->DOWN resumed" : "SUSPECT->DOWN was not paused by an operator: "
              + "nothing to resume", Formats.count(state.getSuspectNodes(), "node"),
          Formats.count(state.getDownNodes(), "node"));
    }
  }
}
