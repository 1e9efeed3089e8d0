package io.gitstratum.coordinator.client.example;

import io.gitstratum.coordinator.client.agent.NodeAgent;
import io.gitstratum.coordinator.client.agent.NodeAgentListener;
import io.gitstratum.coordinator.client.cli.LogSetup;
import io.gitstratum.coordinator.client.errors.ZombieGenerationException;
import io.gitstratum.coordinator.client.failover.CoordinatorClient;
import io.gitstratum.coordinator.client.failover.EndpointResolver;
import io.gitstratum.coordinator.proto.NodeType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * An object node's coordinator lifecycle, without the object store: register (JOINING), warm up,
 * report ready (ACTIVE), heartbeat until SIGTERM or Ctrl-C, then drain (DRAINING), let in-flight
 * work finish and deregister. Killed with SIGKILL it just goes silent, and the facade marks it
 * SUSPECT, then DOWN. Another process started with the same {@code --id} takes the id over, and
 * this one stops with exit code 1.
 *
 * <pre>
 * java -cp coordctl/target/coordctl.jar io.gitstratum.coordinator.client.example.ExampleObjectNode \
 *     --id obj-1 --port 7001 --label zone=a
 * </pre>
 */
@Command(name = "ExampleObjectNode", mixinStandardHelpOptions = true,
    description = "Run a pretend object node that registers with the coordinator.")
public final class ExampleObjectNode implements Callable<Integer> {
  @Option(names = "--endpoints", defaultValue = "${env:COORDCTL_ENDPOINTS:-localhost:9000}",
      description = "Facade endpoints (default: $COORDCTL_ENDPOINTS, else localhost:9000).")
  String endpoints;

  @Option(names = "--id", required = true, description = "Node id, e.g. obj-1.")
  String id;

  @Option(names = "--address", defaultValue = "127.0.0.1", description = "Advertised address.")
  String address;

  @Option(names = "--port", defaultValue = "7000", description = "Advertised port.")
  int port;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--warmup-ms", defaultValue = "2000",
      description = "Pretend start-up work before reporting ready (ms).")
  long warmupMs;

  @Option(names = "--drain-ms", defaultValue = "3000",
      description = "Pretend in-flight work finished while DRAINING, before deregistering (ms).")
  long drainMs;

  public static void main(String[] args) {
    LogSetup.configure("INFO");
    System.exit(new CommandLine(new ExampleObjectNode()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    CountDownLatch replaced = new CountDownLatch(1);
    CoordinatorClient client = CoordinatorClient.builder(EndpointResolver.splitSpecs(endpoints))
        .build();
    NodeAgent agent = NodeAgent.builder(client)
        .nodeId(id).address(address, port).type(NodeType.NODE_TYPE_OBJECT).labels(labels)
        .listener(new NodeAgentListener() {
          @Override
          public void refreshRequired(long currentVersion) {
            // A real node would reload the topology here; this one only says so.
            say("topology moved to version " + currentVersion);
          }

          @Override
          public void reregistered() {
            say("the coordinator had forgotten us; registered again");
          }

          @Override
          public void stopped(ZombieGenerationException cause) {
            say("another process took over " + id + "; stopping: " + cause.getMessage());
            replaced.countDown();
          }
        })
        .build();
    say("pid " + ProcessHandle.current().pid() + ", node " + id + ", generation "
        + agent.generationId());
    agent.start();
    say("registered, JOINING; warming up for " + warmupMs + " ms");
    Thread.sleep(warmupMs); // stands for loading data, opening ports...
    agent.markReady();
    say("ACTIVE, heartbeating every " + agent.heartbeatInterval().toMillis()
        + " ms; stop with Ctrl-C (graceful) or kill -KILL " + ProcessHandle.current().pid());

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (!agent.state().isTerminal()) {
        say("stopping: DRAINING for " + drainMs + " ms, then deregistering");
        try {
          agent.drain();
          Thread.sleep(drainMs); // stands for finishing in-flight requests
        } catch (RuntimeException | InterruptedException e) {
          say("drain failed: " + e.getMessage());
        }
      }
      agent.close();
      client.close();
      say("stopped (" + agent.state() + ")");
    }, "shutdown"));

    replaced.await();
    // Replaced by another process: nothing left to do but leave (the hook closes the rest).
    return 1;
  }

  private static void say(String message) {
    System.out.println("[object-node] " + message);
    System.out.flush();
  }
}
