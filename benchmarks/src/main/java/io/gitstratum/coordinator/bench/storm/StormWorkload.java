package io.gitstratum.coordinator.bench.storm;

import io.gitstratum.coordinator.bench.BenchSettings;
import io.gitstratum.coordinator.bench.Rig;
import io.gitstratum.coordinator.bench.Workload;
import io.gitstratum.coordinator.bench.facade.FacadeProfile;
import io.gitstratum.coordinator.bench.measure.AsyncStorm;
import io.gitstratum.coordinator.bench.raw.RawLeaseGrantWorkload;
import io.gitstratum.coordinator.bench.raw.RawRegisterTxns;
import io.gitstratum.coordinator.bench.report.Report;
import io.gitstratum.coordinator.proto.NodeState;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The storms of issue 23 on a fresh etcd: thousands of nodes changing at once, as a zone
 * recovery, a cold start or a mass drain does in production. First the liveness storms on a
 * replica with short timeouts ({@link FleetStorms}), then the registration storm from 1,000
 * concurrent callers, next to raw etcd's lease grants and register-shaped transactions measured
 * on the same etcd just before it.
 */
public final class StormWorkload implements Workload {
  static final String SECTION = "Facade: storms (issue 23)";
  /** Concurrent callers of the registration storm. */
  private static final int CALLERS = 1_000;
  /** Registrations before the measured storm, so that it does not measure the JIT. */
  private static final int WARMUP_NODES = 2_000;

  @Override
  public String section() {
    return SECTION;
  }

  @Override
  public Duration budget(BenchSettings s) {
    // README: about 4 minutes (--quick 1.5) on two cores, plus the storms' raw baselines
    return Duration.ofSeconds(s.mode().equals("quick") ? 150 : 330);
  }

  @Override
  public void run(Rig rig, Report report) throws Exception {
    try {
      new FleetStorms(rig, report, rig.settings().stormFleet()).run();
    } catch (Exception | AssertionError e) {
      // The registration storm does not depend on the fleet's: report, and measure it anyway.
      report.failed(SECTION + " (revival, silence, confirm-down, deregistration)", e);
    }
    rig.stopFacade();
    registrationStorm(rig, report, rig.settings().stormRegistrations());
    report.note(SECTION, "Callers: async gRPC calls over 4 shared connections (not a thread "
        + "each). A retryable answer (UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED) is sent again "
        + "after its RetryInfo delay, or 500 ms without one, at most " + AsyncStorm.MAX_RETRIES
        + " times; `errors.<CODE>` count the final answers a client following that advice "
        + "could not recover from, `not_known` every answer (any attempt) saying the outcome "
        + "is not known.");
    report.note(SECTION, "etcd costs per unit are deltas of etcd's /metrics and of the "
        + "processes' CPU time over the storm, divided by its nodes.");
  }

  private static void registrationStorm(Rig rig, Report report, int nodes) throws Exception {
    StormNodes fleet = new StormNodes("reg");
    String raw = "raw.storm";
    RawLeaseGrantWorkload.measure(rig, report, SECTION, raw + ".lease_grant.c32");
    RawRegisterTxns.measure(rig, report, SECTION, raw + ".register_txn.c32", fleet::node);

    Replica replica = new Replica(rig.facade(FacadeProfile.STORM_REGISTER));
    StormNodes warm = new StormNodes("warm");
    AsyncStorm.run(WARMUP_NODES, CALLERS, Duration.ofSeconds(60), i -> replica.calls(i)
        .withDeadlineAfter(30, TimeUnit.SECONDS).registerNode(warm.register(i)));

    String p = "facade.storm.register";
    EtcdCosts costs = EtcdCosts.begin(rig, Map.of("replica", replica.process().pid()));
    AsyncStorm.Outcome o = AsyncStorm.run(nodes, CALLERS, Duration.ofSeconds(300),
        i -> replica.calls(i).withDeadlineAfter(30, TimeUnit.SECONDS)
            .registerNode(fleet.register(i)));
    report.figure(SECTION, p + ".nodes", nodes, "1", "4 labels each, " + CALLERS
        + " concurrent callers");
    report.figure(SECTION, p + ".per_s", o.ok() / o.seconds(), "1/s",
        "registrations answered OK per second of the storm");
    report.figure(SECTION, p + ".seconds", o.seconds(), "s", "first call to last answer");
    outcome(report, p, o);
    costs.report(rig, report, SECTION, p, nodes, "registration");
    long registered = Census.count(replica.census().nodes(), Census.in(NodeState.NODE_STATE_JOINING)
        .and(n -> n.getId().startsWith("reg-")));
    report.figure(SECTION, p + ".registered", registered, "1",
        "JOINING in etcd afterwards (GetTopology linearizable)");
    double perS = o.ok() / o.seconds();
    report.figure(SECTION, p + ".vs_raw_lease_grants", perS / figure(report, raw
        + ".lease_grant.c32.per_s"), "x", "registrations/s over raw lease grants/s");
    report.figure(SECTION, p + ".vs_raw_register_txns", perS / figure(report, raw
        + ".register_txn.c32.per_s"), "x", "registrations/s over raw register-shaped txns/s");
    RingFollow.measure(replica, fleet, (int) registered, CALLERS, report, SECTION);
  }

  private static double figure(Report report, String name) {
    return report.value(name).orElse(Double.NaN);
  }

  /** The final answers of a storm by code, its "not known" answers and its retries. */
  static void outcome(Report report, String prefix, AsyncStorm.Outcome o) {
    report.figure(SECTION, prefix + ".not_known", o.notKnown(), "1",
        "answers saying the outcome is not known (any attempt; must be 0)");
    report.figure(SECTION, prefix + ".retries", o.retries(), "1",
        "attempts beyond the first, after RetryInfo");
    report.figure(SECTION, prefix + ".errors", o.failed(), "1", "final answers not OK"
        + (o.firstError().isEmpty() ? "" : "; the first: " + o.firstError()));
    o.codes().forEach((code, n) -> {
      if (!code.equals("OK")) {
        report.figure(SECTION, prefix + ".errors." + code, n, "1", "final answers");
      }
    });
  }
}
