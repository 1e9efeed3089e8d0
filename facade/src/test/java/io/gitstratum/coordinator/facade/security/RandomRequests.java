package io.gitstratum.coordinator.facade.security;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gitstratum.coordinator.proto.DeregisterNodeRequest;
import io.gitstratum.coordinator.proto.HeartbeatRequest;
import io.gitstratum.coordinator.proto.NodeInfo;
import io.gitstratum.coordinator.proto.RegisterNodeRequest;
import java.util.Arrays;
import java.util.Random;

/**
 * Arbitrary request values for properties and fuzzing: mostly near the input rules' edges
 * (empty, longest allowed, one past it, odd characters, unknown enum numbers), sometimes plainly
 * valid, sometimes whatever random bytes parse into.
 */
final class RandomRequests {
  private static final String ID_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";
  private static final String[] ADDRESSES = {"10.0.0.1", "::1", "[::1]", "fe80::1%eth0",
      "obj-1.example.net", "example.net.", "-bad.example", "a..b", "256.1.1.1", "localhost",
      "under_score.example", "1.2.3", "xn--bcher-kva.example"};

  private RandomRequests() {}

  static String string(Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> from(random, ID_CHARS, 1 + random.nextInt(8));
      case 2 -> from(random, ID_CHARS, 127 + random.nextInt(3)); // around the 128 limit
      case 3 -> from(random, ID_CHARS + "/ @#%", 1 + random.nextInt(20));
      case 4 -> ADDRESSES[random.nextInt(ADDRESSES.length)];
      case 5 -> unicode(random, 1 + random.nextInt(10));
      case 6 -> from(random, "a", 60 + random.nextInt(300)); // long
      default -> from(random, "ab0-.", 1 + random.nextInt(70));
    };
  }

  static String from(Random random, String alphabet, int length) {
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return out.toString();
  }

  private static String unicode(Random random, int length) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < length; i++) {
      out.appendCodePoint(switch (random.nextInt(3)) {
        case 0 -> random.nextInt(32);
        case 1 -> 0xA0 + random.nextInt(0x2000);
        default -> 0x1F600 + random.nextInt(80);
      });
    }
    return out.toString();
  }

  static int port(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> random.nextInt();
      case 1 -> new int[] {0, 1, 65535, 65536, -1}[random.nextInt(5)];
      default -> 1 + random.nextInt(65535);
    };
  }

  static int enumNumber(Random random) {
    return random.nextInt(8) == 0 ? random.nextInt(100) - 10 : random.nextInt(6);
  }

  static NodeInfo node(Random random) {
    if (random.nextInt(10) == 0) {
      return parsedOrEmpty(random);
    }
    NodeInfo.Builder node = NodeInfo.newBuilder()
        .setId(random.nextInt(3) == 0 ? string(random) : from(random, ID_CHARS, 1 + random
            .nextInt(10)))
        .setAddress(random.nextInt(3) == 0 ? string(random)
            : ADDRESSES[random.nextInt(ADDRESSES.length)])
        .setPort(port(random))
        .setStateValue(enumNumber(random))
        .setTypeValue(enumNumber(random) % 5)
        .setGenerationId(random.nextBoolean() ? "g" + random.nextInt(3) : string(random))
        .setLastHeartbeatAt(random.nextLong())
        .setSuspectCount(random.nextInt())
        .setRegisteredAt(random.nextLong());
    int labels = random.nextInt(8) == 0 ? 60 + random.nextInt(10) : random.nextInt(4);
    for (int i = 0; i < labels; i++) {
      node.putLabels(random.nextInt(4) == 0 ? string(random) : "k" + i,
          random.nextInt(6) == 0 ? from(random, "v", 250 + random.nextInt(10)) : string(random));
    }
    return node.build();
  }

  static RegisterNodeRequest register(Random random) {
    return random.nextInt(20) == 0 ? RegisterNodeRequest.getDefaultInstance()
        : RegisterNodeRequest.newBuilder().setNode(node(random)).build();
  }

  static HeartbeatRequest heartbeat(Random random) {
    return HeartbeatRequest.newBuilder().setNodeId(string(random))
        .setGenerationId(random.nextBoolean() ? "g" + random.nextInt(3) : string(random))
        .setKnownVersion(random.nextLong())
        .setReportedStateValue(enumNumber(random)).build();
  }

  static DeregisterNodeRequest deregister(Random random) {
    return DeregisterNodeRequest.newBuilder().setNodeId(string(random))
        .setGenerationId(random.nextBoolean() ? "" : string(random)).build();
  }

  /** Random bytes, when they happen to parse as a NodeInfo (with unknown fields kept). */
  private static NodeInfo parsedOrEmpty(Random random) {
    byte[] bytes = new byte[random.nextInt(40)];
    random.nextBytes(bytes);
    try {
      return NodeInfo.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return NodeInfo.getDefaultInstance();
    }
  }

  /** Arbitrary bytes for a request message: random, or a valid encoding damaged. */
  static byte[] bytes(Random random, byte[] valid) {
    switch (random.nextInt(3)) {
      case 0 -> {
        byte[] out = new byte[random.nextInt(64)];
        random.nextBytes(out);
        return out;
      }
      case 1 -> {
        return Arrays.copyOf(valid, valid.length == 0 ? 0
            : random.nextInt(valid.length));
      }
      default -> {
        byte[] out = valid.clone();
        if (out.length > 0) {
          out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return out;
      }
    }
  }
}
