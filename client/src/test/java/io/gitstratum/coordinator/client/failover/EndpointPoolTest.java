package io.gitstratum.coordinator.client.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.gitstratum.coordinator.client.errors.UnavailableException;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How thousands of clients spread over replicas, move off one and come back: fake clock. */
class EndpointPoolTest {
  /** One channel for every pool: none is used, the pools only choose. */
  private static final ManagedChannel UNUSED = InProcessChannelBuilder.forName("unused").build();
  private static final Duration REBALANCE = Duration.ofSeconds(10);
  private static final UnavailableException OVERLOADED =
      new UnavailableException("overloaded", "", null);

  private long now;
  /** Seeds of the pools' randoms: java.util.Random's first draws of seeds 0, 1, 2... agree. */
  private final SplittableRandom seeds = new SplittableRandom(42);

  @AfterAll
  static void closeChannel() {
    UNUSED.shutdownNow();
  }

  private EndpointPool pool(List<String> specs, EndpointResolver resolver, long seed,
      boolean mayPass) {
    return new EndpointPool(specs, resolver, endpoint -> UNUSED, CircuitBreakerConfig.ofDefaults(),
        true, new Random(seeds.nextLong() ^ seed), () -> now, REBALANCE, () -> mayPass);
  }

  private List<EndpointPool> pools(int n, String... endpoints) {
    List<EndpointPool> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pool(List.of(endpoints), new EndpointResolver(), i, true));
    }
    return out;
  }

  /** Where each pool's next attempt goes (settling nothing in its breaker). */
  private static String next(EndpointPool pool) {
    EndpointPool.Pick pick = pool.acquire();
    pick.released();
    return pick.member().name;
  }

  private static Map<String, Long> spread(List<EndpointPool> pools,
      Function<EndpointPool, String> where) {
    return pools.stream().collect(Collectors.groupingBy(where, TreeMap::new,
        Collectors.counting()));
  }

  private static void assertEven(Map<String, Long> spread, int total, int over) {
    assertEquals(over, spread.size(), spread.toString());
    double share = (double) total / over;
    spread.values().forEach(count -> assertTrue(Math.abs(count - share) <= 0.2 * share,
        "not within 20 % of " + share + ": " + spread));
  }

  /** Moves every pool that is on {@code endpoint} off it, as a failure there would. */
  private static List<EndpointPool> failOn(List<EndpointPool> pools, String endpoint) {
    List<EndpointPool> moved = new ArrayList<>();
    for (EndpointPool pool : pools) {
      EndpointPool.Pick pick = pool.acquire();
      pick.released();
      if (pick.member().name.equals(endpoint)) {
        pool.moveOff(pick.member(), OVERLOADED);
        moved.add(pool);
      }
    }
    return moved;
  }

  @Test
  void clientsStartAtRandomAndThoseOfAFailedReplicaSpreadOverAllTheOthers() {
    List<EndpointPool> pools = pools(3000, "a:1", "b:1", "c:1", "d:1");
    assertEven(spread(pools, EndpointPoolTest::next), 3000, 4);
    List<EndpointPool> moved = failOn(pools, "a:1");
    Map<String, Long> after = spread(moved, EndpointPoolTest::next);
    assertFalse(after.containsKey("a:1"));
    assertEven(after, moved.size(), 3); // not all on "the next" one
  }

  @Test
  void clientsAwayFromHomeGoBackAtRandomMomentsWithinTheRebalancePeriod() {
    List<EndpointPool> pools = pools(3000, "a:1", "b:1", "c:1");
    Map<String, Long> before = spread(pools, EndpointPoolTest::next);
    List<EndpointPool> moved = failOn(pools, "a:1");
    assertEquals(before.get("a:1").longValue(), moved.size());

    now = REBALANCE.dividedBy(2).toNanos() - 1;
    assertEquals(0, moved.stream().filter(p -> next(p).equals("a:1")).count(), "too early");
    now = REBALANCE.multipliedBy(3).dividedBy(4).toNanos();
    long half = moved.stream().filter(p -> next(p).equals("a:1")).count();
    assertTrue(half > moved.size() * 0.3 && half < moved.size() * 0.7, half + " back of "
        + moved.size() + ": the returns are spread over the period");
    now = REBALANCE.toNanos();
    assertEquals(before, spread(pools, EndpointPoolTest::next));
    assertEven(spread(pools, EndpointPoolTest::next), 3000, 3);
  }

  @Test
  void aHomeWhoseCircuitIsOpenIsLookedAtAgainLater() {
    EndpointPool pool = pools(1, "a:1", "b:1", "c:1").get(0);
    EndpointPool.Pick home = pool.acquire();
    home.released();
    pool.moveOff(home.member(), OVERLOADED);
    home.member().breaker.transitionToOpenState();
    now = REBALANCE.toNanos();
    assertFalse(next(pool).equals(home.member().name), "open circuit: stays away");
    home.member().breaker.transitionToClosedState();
    now = REBALANCE.multipliedBy(2).toNanos();
    assertEquals(home.member().name, next(pool));
  }

  @Test
  void resolvingDnsAgainKeepsEachClientWhereItWasWhenItsEndpointRemains() {
    List<InetAddress[]> answers = new ArrayList<>(List.of(
        addresses("10.0.0.1", "10.0.0.2", "10.0.0.3"),
        addresses("10.0.0.2", "10.0.0.3", "10.0.0.4")));
    List<EndpointPool> pools = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      int[] calls = {0};
      EndpointResolver resolver = new EndpointResolver(host -> answers.get(
          Math.min(calls[0]++, 1)));
      pools.add(pool(List.of("dns:///svc:9000"), resolver, i, true));
    }
    Map<EndpointPool, String> before = new java.util.HashMap<>();
    pools.forEach(p -> before.put(p, next(p)));
    now = Duration.ofSeconds(6).toNanos();
    pools.forEach(p -> assertTrue(p.refresh()));
    List<String> fromGone = new ArrayList<>();
    for (EndpointPool p : pools) {
      String was = before.get(p);
      if (was.equals("10.0.0.1:9000")) {
        fromGone.add(next(p));
      } else {
        assertEquals(was, next(p), "a client whose endpoint remained stays on it");
      }
    }
    Map<String, Long> spreadOfGone = fromGone.stream().collect(Collectors.groupingBy(
        Function.identity(), TreeMap::new, Collectors.counting()));
    assertEven(spreadOfGone, fromGone.size(), 3); // not every one to the first endpoint
  }

  private static InetAddress[] addresses(String... ips) {
    try {
      InetAddress[] out = new InetAddress[ips.length];
      for (int i = 0; i < ips.length; i++) {
        out[i] = InetAddress.getByName(ips[i]);
      }
      return out;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void withEveryCircuitOpenAnAttemptPassesOnlyWhenTheBudgetAllows() {
    EndpointPool spent = pool(List.of("a:1", "b:1"), new EndpointResolver(), 1, false);
    EndpointPool allowed = pool(List.of("a:1", "b:1"), new EndpointResolver(), 1, true);
    for (EndpointPool pool : List.of(spent, allowed)) {
      EndpointPool.Pick pick = pool.acquire();
      pick.released();
      pool.moveOff(pick.member(), OVERLOADED);
      EndpointPool.Pick other = pool.acquire();
      other.released();
      pick.member().breaker.transitionToOpenState();
      other.member().breaker.transitionToOpenState();
    }
    UnavailableException e = assertThrows(UnavailableException.class, spent::acquire);
    assertTrue(e.getMessage().contains("circuit is open"), e.getMessage());
    assertFalse(allowed.acquire().permitted());
  }
}
